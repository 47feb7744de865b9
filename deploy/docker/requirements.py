"""Print the pinned requirements of pyproject.toml for a set of extras, one per line.

The image build installs these in their own layer before the source is copied, so a code change does
not reinstall every dependency. Self-references (`lynex-server[a,b]`) are expanded recursively.
Usage: python requirements.py pyproject.toml all
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

_SELF = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)\[(?P<extras>[^\]]+)\]$")


def requirements(pyproject: dict[str, object], extras: list[str]) -> list[str]:
    project = pyproject["project"]
    assert isinstance(project, dict)
    name = project["name"]
    optional: dict[str, list[str]] = project.get("optional-dependencies", {})
    found: list[str] = list(project.get("dependencies", []))
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop(0)
        if extra in seen:
            continue
        if extra not in optional:
            raise SystemExit(f"requirements.py: {name} has no extra {extra!r}")
        seen.add(extra)
        for req in optional[extra]:
            match = _SELF.match(req.replace(" ", ""))
            if match and match["name"] == name:
                pending.extend(e.strip() for e in match["extras"].split(","))
            else:
                found.append(req)
    return sorted(set(found), key=str.lower)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    data = tomllib.loads(Path(argv[0]).read_text(encoding="utf-8"))
    print("\n".join(requirements(data, argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
