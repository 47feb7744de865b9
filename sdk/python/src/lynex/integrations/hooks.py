"""Patch a library right after it is imported, not before: importing openai or anthropic takes
seconds, and `lynex.init()` must not add that to an application that never uses them."""

from __future__ import annotations

import importlib.abc
import logging
import sys
import threading
from types import ModuleType
from typing import Any, Callable, Sequence

log = logging.getLogger("lynex")
_lock = threading.Lock()


class _Loader:
    """The library's own loader, plus `callback` once the module has executed."""

    def __init__(self, loader: Any, callback: Callable[[], Any]) -> None:
        self._loader = loader
        self._callback = callback

    def create_module(self, spec: Any) -> ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        module.__loader__ = self._loader  # leave no trace of the hook on the module
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        try:
            self._callback()
        except Exception as exc:  # noqa: BLE001 - instrumentation must not break an import
            log.debug("lynex could not instrument %s: %r", module.__name__, exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.callbacks: dict[str, Callable[[], Any]] = {}

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        with _lock:
            callback = self.callbacks.pop(fullname, None)  # one-shot, and no recursion below
        if callback is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader, callback)  # type: ignore[assignment]
                return spec
        return None


_finder = _Finder()


def when_imported(name: str, callback: Callable[[], Any]) -> bool:
    """Run `callback` now if top-level module `name` is imported, else right after its import.
    Returns True if it ran now."""
    if name in sys.modules:
        callback()
        return True
    with _lock:
        _finder.callbacks[name] = callback
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)
    return False


def cancel_all() -> None:
    with _lock:
        _finder.callbacks.clear()
        if _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
