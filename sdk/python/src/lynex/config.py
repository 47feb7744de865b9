"""Client options: keyword arguments first, then `LYNEX_*` environment variables, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

DEFAULT_ENDPOINT = "http://127.0.0.1:8000"
EVENTS_PATH = "/api/v1/events"
# The gateway refuses batches over 1,000 events or 5 MiB after decompression; stay under both.
MAX_BATCH_EVENTS = 1000
MAX_BATCH_BYTES = 5 * 1024 * 1024 - 64 * 1024

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Config:
    """Everything a client needs; built once by `Config.build` and never changed."""

    api_key: str | None = None
    """Project API key, sent as `X-API-Key`. Without one the client stays disabled (a no-op)."""
    project_id: str | None = None
    """Sent as `projectId`; when absent the gateway takes the key's project."""
    endpoint: str = DEFAULT_ENDPOINT
    """Gateway base URL (`/api/v1/events` is appended unless the URL already ends with it)."""
    flush_at: int = 10
    """Send as soon as this many events are queued."""
    flush_interval: float = 1.0
    """Send queued events at least this often, in seconds."""
    max_batch_size: int = 1000
    """Events per request, at most (the gateway takes at most 1,000 and 5 MiB)."""
    max_queue_size: int = 10_000
    """Events held in memory; when full the oldest are dropped and counted in `stats()['dropped']`."""
    max_retries: int = 20
    """Attempts after the first for a batch refused with 429/5xx or a network error (with the
    default backoff, a batch outlives about 2-3 minutes of outage; the queue keeps filling meanwhile)."""
    backoff_base: float = 0.5
    """First retry delay in seconds; doubles each attempt (with jitter), capped by `backoff_max`."""
    backoff_max: float = 10.0
    """Longest delay between two attempts, unless the gateway's Retry-After asks for more: short, so
    that events flow again within seconds of the gateway coming back."""
    request_timeout: float = 10.0
    """Socket timeout of one request, in seconds."""
    shutdown_timeout: float = 2.0
    """How long `shutdown()` (and the flush at interpreter exit) may wait for delivery."""
    compression_level: int = 6
    """gzip level of request bodies (0 sends them uncompressed)."""
    capture_content: bool = True
    """Send prompts and responses; False keeps only model, tokens, latency and status."""
    environment: str | None = None
    """Default `context.env` of every event (for example "production")."""
    release: str | None = None
    """Default `context.release` of every event."""
    context: dict[str, Any] = field(default_factory=dict)
    """Default context merged under each event's own (tags, userId, attributes...)."""
    debug: bool = False
    """Log what the SDK does (batches, retries, drops) to stderr through the `lynex` logger."""
    enabled: bool = True
    """False turns every call into a no-op."""

    @property
    def events_url(self) -> str:
        base = self.endpoint.rstrip("/")
        return base if base.endswith(EVENTS_PATH) else base + EVENTS_PATH

    @classmethod
    def build(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Config:
        """Options given as arguments win; `api_key`, `project_id`, `endpoint`, `debug` fall back to
        LYNEX_API_KEY, LYNEX_PROJECT_ID, LYNEX_ENDPOINT, LYNEX_DEBUG in `environ` (default os.environ)."""
        env = os.environ if environ is None else environ
        given = {k: v for k, v in options.items() if v is not None}
        given.setdefault("api_key", env.get("LYNEX_API_KEY") or None)
        given.setdefault("project_id", env.get("LYNEX_PROJECT_ID") or None)
        given.setdefault("endpoint", env.get("LYNEX_ENDPOINT") or DEFAULT_ENDPOINT)
        if "debug" not in given and env.get("LYNEX_DEBUG", "").strip().lower() in _TRUE:
            given["debug"] = True
        config = cls(**{k: v for k, v in given.items() if v is not None})
        return config._clamped()

    def _clamped(self) -> Config:
        """Out-of-range numbers are corrected rather than refused: a bad option must not crash an app."""
        values = dict(self.__dict__)
        values["flush_at"] = max(1, int(self.flush_at))
        values["flush_interval"] = max(0.01, float(self.flush_interval))
        values["max_batch_size"] = min(MAX_BATCH_EVENTS, max(1, int(self.max_batch_size)))
        values["max_queue_size"] = max(1, int(self.max_queue_size))
        values["max_retries"] = max(0, int(self.max_retries))
        values["backoff_base"] = max(0.0, float(self.backoff_base))
        values["backoff_max"] = max(values["backoff_base"], float(self.backoff_max))
        values["compression_level"] = min(9, max(0, int(self.compression_level)))
        return Config(**values)
