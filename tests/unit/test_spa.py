"""The dashboard is served at / with index.html for deep links; API paths are never shadowed."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from query.errors import QueryError, to_response
from query.spa import build_spa_routes


def app_for(root: Path | None) -> Litestar:
    return Litestar(route_handlers=build_spa_routes(root), exception_handlers={QueryError: to_response})


def test_files_deep_links_and_reserved_paths(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<html>index</html>")
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("outside")
    with TestClient(app_for(tmp_path)) as client:
        assert client.get("/").text == "<html>index</html>"
        asset = client.get("/assets/app-1a2b.js")
        assert asset.text == "console.log(1)"
        assert "immutable" in asset.headers["cache-control"]
        assert "javascript" in asset.headers["content-type"]
        deep = client.get("/events/abc?model=gpt-4o")
        assert deep.status_code == 200
        assert deep.text == "<html>index</html>"
        assert client.get("/api/v1/nothing").status_code == 404
        assert client.get("/../secret.txt").text != "outside"


def test_unbuilt_dashboard_explains_itself() -> None:
    with TestClient(app_for(None)) as client:
        assert "not built" in client.get("/").text
