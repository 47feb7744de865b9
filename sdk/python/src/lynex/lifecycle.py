"""Process lifecycle: flush every live client at interpreter exit; reset them in a forked child."""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Any

# Strong references: a client nobody holds any more must still deliver its queue at exit.
_clients: dict[int, Any] = {}
_lock = threading.Lock()
_state = {"installed": False, "exiting": False}


def register(client: Any) -> None:
    with _lock:
        _clients[id(client)] = client
        if not _state["installed"]:
            _state["installed"] = True
            atexit.register(_flush_at_exit)
            if hasattr(os, "register_at_fork"):
                os.register_at_fork(after_in_child=_reset_in_child)


def unregister(client: Any) -> None:
    with _lock:
        _clients.pop(id(client), None)


def exiting() -> bool:
    """True once the interpreter is shutting down: no new threads may start."""
    return bool(_state["exiting"]) or sys.is_finalizing()


def _flush_at_exit() -> None:
    # atexit runs after non-daemon threads were joined, while our daemon workers still run; each
    # client gets its own `shutdown_timeout`, so a dead gateway delays exit by at most that much.
    _state["exiting"] = True
    for client in list(_clients.values()):
        client.shutdown()


def _reset_in_child() -> None:
    global _lock  # noqa: PLW0603 - the parent's lock may have been held by another thread at fork
    _lock = threading.Lock()
    for client in list(_clients.values()):
        client._after_fork_in_child()
