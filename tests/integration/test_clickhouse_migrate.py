"""`migrate_clickhouse` against the real embedded engine: retention follows the setting, and a start with
an unchanged setting leaves every table's metadata file alone (on a full disk, rewriting it left it empty
and the data directory never opened again)."""

from __future__ import annotations

from pathlib import Path

from core.clickhouse import RETENTION_TTLS, ClickHouse, migrate_clickhouse


def _metadata(data_dir: Path) -> dict[str, tuple[int, bytes]]:
    """Each retained table's metadata file: (mtime in ns, content)."""
    out = {}
    for table in RETENTION_TTLS:
        [path] = [p for p in data_dir.rglob(f"{table}.sql") if "metadata_dropped" not in p.parts]
        out[table] = (path.stat().st_mtime_ns, path.read_bytes())
    return out


async def test_an_unchanged_retention_rewrites_no_metadata_and_a_changed_one_applies(tmp_path: Path) -> None:
    data_dir = tmp_path / "ch"
    clickhouse = ClickHouse(f"chdb://{data_dir}")
    try:
        await migrate_clickhouse(clickhouse, 90)
        before = _metadata(data_dir)
        assert await migrate_clickhouse(clickhouse, 90) == []
        assert _metadata(data_dir) == before
        await migrate_clickhouse(clickhouse, 30)
        ddl = {
            table: (await clickhouse.query(f"SHOW CREATE TABLE {table}"))[0][0] for table in RETENTION_TTLS
        }
    finally:
        clickhouse.close()
    after = _metadata(data_dir)
    for table in RETENTION_TTLS:
        assert "toIntervalDay(30)" in ddl[table], table
        assert after[table] != before[table], table
