"""`LynexHandler`: forward standard `logging` records to Lynex as log events (and their exceptions)."""

from __future__ import annotations

import logging
from typing import Any


class LynexHandler(logging.Handler):
    """`logging.getLogger().addHandler(lynex.LynexHandler())` sends records at `level` and above.

    `client` defaults to the one `lynex.init()` made, looked up at each record. Records of the
    SDK's own `lynex` logger are skipped, so that reporting a problem cannot loop.
    """

    def __init__(self, client: Any | None = None, level: int = logging.INFO) -> None:
        super().__init__(level)
        self._client = client

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "lynex" or record.name.startswith("lynex."):
            return
        client = self._client
        if client is None:
            from lynex import get_client  # noqa: PLC0415 - avoids an import cycle

            client = get_client()
            if client is None:
                return
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not break the app's logging
            message = str(record.msg)
        attributes = {"logger": record.name, "module": record.module, "line": record.lineno}
        client.log(record.levelno, message, attributes, timestamp=record.created)
        if record.exc_info and record.exc_info[1] is not None:
            client.capture_error(record.exc_info[1], handled=True, timestamp=record.created)
