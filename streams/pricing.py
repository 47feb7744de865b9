"""Model prices and the USD cost of one LLM call: the price table, model-id matching, `estimate_cost`.

Pure and synchronous; nothing is read at import. `load_price_table()` reads the packaged
`streams/data/model_prices.json` (or another file) once at start-up; a bad table raises
`PriceTableError` there, and nothing here raises per event.

Tokens (our contract, whatever the provider reports): `input` counts every prompt token, cached ones
included; `cached` is the part of `input` read from a provider cache (OpenAI and Gemini report it so;
for Anthropic the SDK adds `cache_read_input_tokens` and `cache_creation_input_tokens` to
`input_tokens`); reasoning tokens are part of `output`, which is how every provider bills them.

    cost = ((input - cached) * input_price + cached * cached_price + output * output_price) / 1e6

with prices in USD per 1M tokens; a model without a cached price bills cached tokens at its input
price. `cached > input` breaks the contract: it is billed as cached tokens and no uncached input,
never a negative cost. Cache writes are billed as plain input (Anthropic charges 1.25x: an accepted
underestimate), and tiered prices use the base tier (see the table's note).

Matching a model id to a table entry, in order:
1. normalize: lower-case; keep what follows the last `/` (`openai/gpt-4o`, `models/gemini-1.5-pro`,
   Vertex resource names); drop a Bedrock `[region.]anthropic.` or `mistral.` prefix; in `claude-` ids
   dots become dashes (OpenRouter writes `claude-3.5-sonnet`).
2. if the event names a provider, first try `<provider>/<id>`, so a table may price one host apart
   (`"match": "azure/gpt-4o"`); then the bare id.
3. the longest `match` that is the id itself or a prefix of it ending at a `-` or `@`, provided all that
   follows is version noise: dates (`-2024-08-06`, `-20241022`, `@20241022`, `-05-20`, `-09-2025`), digit
   versions (`-002`, `-2411`, `-0125`, `@001`), `-0`, `-latest`, `-preview`, `-exp`, `-v2`, `-v1:0`.
   So `gpt-4o-mini-2024-07-18` is `gpt-4o-mini`, never `gpt-4o`; `gpt-4o-mini-tts` and
   `claude-opus-4-6` (no entry of their own) are unknown rather than priced as a neighbour. A variant
   priced differently from its family needs its own entry, which then wins by being longer.
Among a match's entries the latest whose `effective` date (00:00 UTC) is <= the event time applies;
an event older than the first entry gets the first entry's price (a late-added model is a table gap,
not a free call). Naive datetimes are taken as UTC.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from importlib import resources
from pathlib import Path
from typing import Literal

import msgspec

CostSource = Literal["client", "table", "unknown_model"]

# Table entries only (operator input, checked once at start-up): client strings never meet a regex.
_CANONICAL_MATCH = re.compile(r"^(?:[a-z0-9_.-]+/)?[a-z0-9][a-z0-9_.:@-]*$")
_HOSTS = frozenset({"anthropic", "mistral"})
_NOISE_WORDS = frozenset({"0", "latest", "preview", "exp"})
_LOOKUP_CACHE_SIZE = 4096


class PriceTableError(Exception):
    """The price table cannot be used; the message names the offending entry."""


class PriceEntry(msgspec.Struct, frozen=True, kw_only=True, rename="camel", forbid_unknown_fields=True):
    """One row of the table file: the price of `match` from `effective` on."""

    match: str
    provider: str
    effective: date
    input: float
    output: float
    cached_input: float | None
    note: str = ""


class Price(msgspec.Struct, frozen=True, kw_only=True):
    """USD per 1M tokens applied to one event, and the table entry it came from."""

    input: float
    output: float
    cached_input: float | None
    effective: date
    provider: str
    match: str


class CostResult(msgspec.Struct, frozen=True):
    """`cost_usd` is None only when `source` is `unknown_model`."""

    cost_usd: float | None
    source: CostSource


# The start times (UTC) and prices of one `match`, oldest first.
_History = tuple[tuple[datetime, ...], tuple[Price, ...]]


def normalize_model(model: str) -> str:
    """The model id as the table spells it: step 1 of the matching rule in the module docstring."""
    name = _strip_hosted_prefix(model.strip().lower().rsplit("/", 1)[-1])
    return name.replace(".", "-") if name.startswith("claude-") else name


def _strip_hosted_prefix(name: str) -> str:
    """Drop a Bedrock `[region.]anthropic.` or `mistral.` prefix (region: 2 to 6 ASCII letters)."""
    head, dot, rest = name.partition(".")
    if dot and head in _HOSTS:
        return rest
    if dot and 2 <= len(head) <= 6 and head.isascii() and head.isalpha():
        host, dot, rest = rest.partition(".")
        if dot and host in _HOSTS:
            return rest
    return name


def is_version_noise(suffix: str) -> bool:
    """Whether `suffix` is nothing but version noise (step 3 of the module docstring), in linear time.

    Client strings never meet a regex here: the one this replaces backtracked exponentially on ids such
    as `o1` + `-2024-01-01` x 23 + `!` (a date also reads as a version plus a `-MM-DD`), 3.5 s of CPU for
    one 256-character id. Instead the suffix is cut at every `-` and `@`, and one left-to-right pass
    marks which pieces can start a token; a token spans one piece, or two or three for dates.
    """
    if not suffix:
        return True
    if suffix[0] not in "-@":
        return False
    seps: list[str] = []
    pieces: list[str] = []
    start = 1
    for index, char in enumerate(suffix):
        if char in "-@":
            if index:
                pieces.append(suffix[start:index])
            seps.append(char)
            start = index + 1
    pieces.append(suffix[start:])
    reachable = [False] * (len(pieces) + 1)
    reachable[0] = True
    for index in range(len(pieces)):
        if reachable[index]:
            for width in _token_widths(seps, pieces, index):
                reachable[index + width] = True
    return reachable[-1]


def _token_widths(seps: list[str], pieces: list[str], index: int) -> list[int]:
    """How many pieces a noise token starting at `pieces[index]` can span (none when it cannot start one)."""
    piece = pieces[index]
    widths: list[int] = []
    if piece in _NOISE_WORDS or _digits(piece, 3, 8) or _is_revision(piece):
        widths.append(1)
    dashed: list[str] = []  # the pieces right after this one that a `-` joins to it, up to two
    while len(dashed) < 2 and index + len(dashed) + 1 < len(pieces) and seps[index + len(dashed) + 1] == "-":
        dashed.append(pieces[index + len(dashed) + 1])
    if dashed and _digits(piece, 2, 2) and (_digits(dashed[0], 4, 4) or _digits(dashed[0], 2, 2)):
        widths.append(2)  # -09-2025, -05-20
    if len(dashed) == 2 and _digits(piece, 4, 4) and all(_digits(part, 2, 2) for part in dashed):
        widths.append(3)  # -2024-08-06
    return widths


def _digits(piece: str, shortest: int, longest: int) -> bool:
    return shortest <= len(piece) <= longest and piece.isascii() and piece.isdigit()


def _is_revision(piece: str) -> bool:
    """`v2`, `v1:0`."""
    major, colon, minor = piece[1:].partition(":")
    return piece[:1] == "v" and _digits(major, 1, len(major)) and (not colon or _digits(minor, 1, len(minor)))


class PriceTable:
    """Validated price entries, indexed by `match`, with a bounded cache of resolved model ids."""

    def __init__(self, entries: Iterable[PriceEntry]) -> None:
        self.entries = tuple(entries)
        by_match: dict[str, dict[date, Price]] = {}
        for index, entry in enumerate(self.entries):
            _check_entry(index, entry)
            dated = by_match.setdefault(entry.match, {})
            if entry.effective in dated:
                raise PriceTableError(
                    f"entry {index} ({entry.match!r}): a second price effective {entry.effective}"
                )
            dated[entry.effective] = Price(
                input=entry.input,
                output=entry.output,
                cached_input=entry.cached_input,
                effective=entry.effective,
                provider=entry.provider,
                match=entry.match,
            )
        self._families: dict[str, _History] = {
            match: (
                tuple(datetime.combine(day, time(), UTC) for day in sorted(dated)),
                tuple(dated[day] for day in sorted(dated)),
            )
            for match, dated in by_match.items()
        }
        # Ids come from clients: bounded, and unknown ids are cached too (as None).
        self._resolve = functools.lru_cache(maxsize=_LOOKUP_CACHE_SIZE)(self._resolve_uncached)

    def lookup(self, model: str, provider: str | None, at: datetime) -> Price | None:
        """The price of `model` at the time `at`, or None when no entry matches."""
        history = self._resolve(model, provider)
        if history is None:
            return None
        starts, prices = history
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        return prices[max(bisect.bisect_right(starts, at) - 1, 0)]

    def _resolve_uncached(self, model: str, provider: str | None) -> _History | None:
        name = normalize_model(model)
        if provider:
            scoped = self._longest_match(f"{provider.strip().lower()}/{name}")
            if scoped is not None:
                return scoped
        return self._longest_match(name)

    def _longest_match(self, name: str) -> _History | None:
        end = len(name)
        while end > 0:
            history = self._families.get(name[:end])
            if history is not None and is_version_noise(name[end:]):
                return history
            end = max(name.rfind("-", 0, end), name.rfind("@", 0, end))
        return None


def _check_entry(index: int, entry: PriceEntry) -> None:
    where = f"entry {index} ({entry.match!r}, effective {entry.effective})"
    if not _CANONICAL_MATCH.match(entry.match):
        raise PriceTableError(f"{where}: `match` must be a lower-case model id, optionally 'provider/id'")
    if not entry.provider.strip():
        raise PriceTableError(f"{where}: `provider` is empty")
    prices = {"input": entry.input, "output": entry.output, "cachedInput": entry.cached_input}
    for field, value in prices.items():
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise PriceTableError(f"{where}: `{field}` must be a finite price >= 0, got {value!r}")


class _TableFile(msgspec.Struct):
    entries: list[msgspec.Raw]


def parse_price_table(data: bytes) -> PriceTable:
    """Build a `PriceTable` from the JSON of a table file; `PriceTableError` names a bad entry."""
    try:
        raw_entries = msgspec.json.decode(data, type=_TableFile).entries
    except msgspec.DecodeError as exc:
        raise PriceTableError(f"not a price table: {exc}") from exc
    entries = []
    for index, raw in enumerate(raw_entries):
        try:
            entries.append(msgspec.json.decode(raw, type=PriceEntry))
        except msgspec.DecodeError as exc:
            fields = msgspec.json.decode(raw)
            match = fields.get("match") if isinstance(fields, dict) else None
            raise PriceTableError(f"entry {index} ({match!r}): {exc}") from exc
    return PriceTable(entries)


def load_price_table(path: str | Path | None = None) -> PriceTable:
    """Read and validate a table file; by default the one packaged with Lynex."""
    if path is None:
        data = (resources.files("streams") / "data" / "model_prices.json").read_bytes()
    else:
        data = Path(path).read_bytes()
    return parse_price_table(data)


def estimate_cost(
    table: PriceTable,
    *,
    model: str,
    provider: str | None,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int | None,
    at: datetime,
    client_cost: float | None,
) -> CostResult:
    """The USD cost of one call: the client's own figure if it sent one, else the table's (module doc)."""
    if client_cost is not None:
        return CostResult(client_cost, "client")
    price = table.lookup(model, provider, at)
    if price is None:
        return CostResult(None, "unknown_model")
    cached = cached_tokens or 0
    cached_rate = price.input if price.cached_input is None else price.cached_input
    uncached = max(input_tokens - cached, 0)
    micro_usd = uncached * price.input + cached * cached_rate + output_tokens * price.output
    return CostResult(micro_usd / 1e6, "table")
