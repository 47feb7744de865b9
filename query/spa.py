"""Serving the built dashboard: files from its directory, index.html for every other page path so
that deep links (/events?model=…) work; API, health and metrics paths are never shadowed."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated

from litestar import Response, get
from litestar.params import PathParameter

from query.errors import NotFound

_RESERVED = ("api/", "health", "ready", "metrics", "schema")
_CANDIDATES = (
    Path("dashboard/dist"),
    Path(__file__).resolve().parents[1] / "dashboard" / "dist",
    Path("/opt/lynex/dashboard"),
)


def find_dashboard(configured: str) -> Path | None:
    candidates = (Path(configured),) if configured else _CANDIDATES
    for candidate in candidates:
        if (candidate / "index.html").is_file():
            return candidate.resolve()
    return None


def build_spa_routes(root: Path | None) -> list[object]:
    if root is None:
        return [_missing]
    index = (root / "index.html").read_bytes()

    @get("/", include_in_schema=False, sync_to_thread=False)
    def home() -> Response[bytes]:
        return Response(index, media_type="text/html", headers={"Cache-Control": "no-cache"})

    @get("/{path:path}", include_in_schema=False, sync_to_thread=False)
    def dashboard(path: Annotated[str, PathParameter()]) -> Response[bytes]:
        relative = path.lstrip("/")
        if relative.startswith(_RESERVED):
            raise NotFound("no such endpoint")
        if relative:
            candidate = (root / relative).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                media_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
                # Vite puts a content hash in asset names: cache them for good.
                cache = (
                    "public, max-age=31536000, immutable" if relative.startswith("assets/") else "no-cache"
                )
                return Response(
                    candidate.read_bytes(), media_type=media_type, headers={"Cache-Control": cache}
                )
        return Response(index, media_type="text/html", headers={"Cache-Control": "no-cache"})

    return [home, dashboard]


@get("/", include_in_schema=False, sync_to_thread=False)
def _missing() -> Response[str]:
    return Response(
        "Lynex is running. The dashboard is not built: run `make dashboard` (or `cd dashboard && npm ci && "
        "npm run build`). The API is at /api/v1, its OpenAPI document at /schema.",
        media_type="text/plain",
    )
