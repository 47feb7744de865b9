"""ClickHouse DDL as numbered migrations: `NNNN_name.sql`, statements separated by `;`.

`{retention_days}` is filled in from settings. Never edit a shipped file: add the next number.
"""

from __future__ import annotations

from importlib import resources


def migrations() -> list[tuple[int, str, list[str]]]:
    """(version, name, statements) in order."""
    out = []
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            version, _, name = entry.name.removesuffix(".sql").partition("_")
            statements = [s.strip() for s in _strip_comments(entry.read_text()).split(";") if s.strip()]
            out.append((int(version), name, statements))
    return out


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
