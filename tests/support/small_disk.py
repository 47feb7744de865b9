"""A small tmpfs for a test's data directory, which the test can fill to make writes fail for real.

The embedded ClickHouse engine has no server to stop; a full disk is a real failure of the engine
itself: inserts fail with `NOT_ENOUGH_SPACE` (Code 243) while reads keep working, and they succeed
again once space is freed. Mounting needs root (CI runs as root); `MountNotPermitted` lets a test
skip with that reason instead of failing.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

JUNK_NAME = "junk.fill"
CHUNK = 1 << 20


class MountNotPermitted(Exception):
    """This process may not mount a tmpfs (not root, or no mount namespace rights)."""


@dataclass
class SmallDisk:
    path: Path
    size_mb: int

    @property
    def junk(self) -> Path:
        return self.path / JUNK_NAME

    def mount(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={self.size_mb}m", "tmpfs", str(self.path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise MountNotPermitted(f"mount -t tmpfs failed ({done.returncode}): {done.stderr.strip()}")

    def unmount(self) -> None:
        subprocess.run(["umount", "--lazy", str(self.path)], check=True, capture_output=True)

    def fill(self) -> int:
        """Write junk until the filesystem refuses (ENOSPC); the bytes written."""
        written = 0
        with self.junk.open("wb", buffering=0) as out:  # unbuffered: nothing left to flush on close
            try:
                while True:
                    written += out.write(b"\0" * CHUNK) or 0
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
        return written

    def free(self) -> None:
        self.junk.unlink(missing_ok=True)

    def available(self) -> int:
        """Free bytes, as the filesystem reports them."""
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize


@contextmanager
def small_disk(path: Path, size_mb: int) -> Iterator[SmallDisk]:
    """`path` mounted as a tmpfs of `size_mb` MiB for the block; unmounted afterwards, whatever happens."""
    disk = SmallDisk(path, size_mb)
    disk.mount()
    try:
        yield disk
    finally:
        disk.unmount()
