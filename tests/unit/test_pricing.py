"""Cost estimation: the packaged price table, model-id matching, price history, the cost formula.

Expected costs are worked out by hand from the per-1M prices in streams/data/model_prices.json
(tokens x USD per 1M / 1e6), so a changed price or a changed formula fails here on purpose.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from streams.pricing import (
    CostResult,
    PriceEntry,
    PriceTable,
    PriceTableError,
    estimate_cost,
    is_version_noise,
    load_price_table,
    parse_price_table,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return load_price_table()


def cost(
    table: PriceTable,
    model: str,
    *,
    input_tokens: int = 10_000,
    output_tokens: int = 2_000,
    cached: int | None = None,
    provider: str | None = None,
    at: datetime = NOW,
    client_cost: float | None = None,
) -> CostResult:
    return estimate_cost(
        table,
        model=model,
        provider=provider,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_tokens=cached,
        at=at,
        client_cost=client_cost,
    )


def entry(match: str, effective: str, input_price: Any, output_price: Any, **extra: Any) -> dict[str, Any]:
    """One table row as JSON data; prices are Any so that tests can send wrong types."""
    return {
        "match": match,
        "provider": "test",
        "effective": effective,
        "input": input_price,
        "output": output_price,
        "cachedInput": None,
        **extra,
    }


def table_of(*entries: dict[str, Any]) -> PriceTable:
    return parse_price_table(json.dumps({"entries": list(entries)}).encode())


# 10,000 input and 2,000 output tokens; e.g. gpt-4o at $2.50/$10: 0.025 + 0.020 = 0.045.
FAMILY_COSTS = [
    ("gpt-4o", 0.045),
    ("gpt-4o-mini", 0.0027),  # 0.0015 + 0.0012
    ("gpt-4.1", 0.036),  # 0.020 + 0.016
    ("gpt-4.1-mini", 0.0072),  # 0.004 + 0.0032
    ("gpt-4.1-nano", 0.0018),  # 0.001 + 0.0008
    ("gpt-4-turbo", 0.16),  # 0.10 + 0.06
    ("gpt-3.5-turbo", 0.008),  # 0.005 + 0.003
    ("o1", 0.27),  # 0.15 + 0.12
    ("o3", 0.036),  # 0.020 + 0.016
    ("o3-mini", 0.0198),  # 0.011 + 0.0088
    ("o4-mini", 0.0198),  # 0.011 + 0.0088
    ("gpt-5", 0.0325),  # 0.0125 + 0.020
    ("gpt-5-mini", 0.0065),  # 0.0025 + 0.004
    ("gpt-5-nano", 0.0013),  # 0.0005 + 0.0008
    ("claude-3-haiku-20240307", 0.005),  # 0.0025 + 0.0025
    ("claude-3-opus-20240229", 0.30),  # 0.15 + 0.15
    ("claude-3-5-sonnet-20241022", 0.06),  # 0.03 + 0.03
    ("claude-3-5-haiku-20241022", 0.016),  # 0.008 + 0.008
    ("claude-3-7-sonnet-20250219", 0.06),
    ("claude-sonnet-4-20250514", 0.06),
    ("claude-opus-4-20250514", 0.30),
    ("claude-opus-4-1-20250805", 0.30),
    ("claude-sonnet-4-5-20250929", 0.06),
    ("claude-haiku-4-5-20251001", 0.02),  # 0.01 + 0.01
    ("claude-opus-4-5-20251101", 0.10),  # 0.05 + 0.05
    ("gemini-1.5-pro", 0.0225),  # 0.0125 + 0.010
    ("gemini-1.5-flash", 0.00135),  # 0.00075 + 0.0006
    ("gemini-2.0-flash", 0.0018),  # 0.001 + 0.0008
    ("gemini-2.0-flash-lite", 0.00135),  # 0.00075 + 0.0006
    ("gemini-2.5-pro", 0.0325),  # 0.0125 + 0.020
    ("gemini-2.5-flash", 0.008),  # 0.003 + 0.005
    ("gemini-2.5-flash-lite", 0.0018),  # 0.001 + 0.0008
    ("mistral-large-latest", 0.032),  # 0.020 + 0.012
    ("mistral-medium-latest", 0.008),  # 0.004 + 0.004
    ("mistral-small-latest", 0.0016),  # 0.001 + 0.0006
    ("codestral-latest", 0.0048),  # 0.003 + 0.0018
    ("ministral-8b-latest", 0.0012),  # 0.001 + 0.0002
    ("open-mistral-nemo", 0.0018),  # 0.0015 + 0.0003
    ("pixtral-large-latest", 0.032),
]


@pytest.mark.parametrize(("model", "expected"), FAMILY_COSTS, ids=[m for m, _ in FAMILY_COSTS])
def test_each_priced_model_family_costs_its_list_price(
    table: PriceTable, model: str, expected: float
) -> None:
    result = cost(table, model)
    assert result.source == "table"
    assert result.cost_usd == pytest.approx(expected, rel=1e-12)


DATED_VARIANTS = [
    ("gpt-4o-2024-08-06", "gpt-4o-2024-08-06", 0.045),
    ("gpt-4o-2024-11-20", "gpt-4o", 0.045),
    ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", 0.0027),
    ("gpt-3.5-turbo-0125", "gpt-3.5-turbo", 0.008),
    ("o3-mini-2025-01-31", "o3-mini", 0.0198),
    ("gpt-5-chat-latest", "gpt-5-chat", 0.0325),
    ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet", 0.06),
    ("claude-3-5-sonnet-latest", "claude-3-5-sonnet", 0.06),
    ("claude-opus-4-0", "claude-opus-4", 0.30),
    ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet", 0.06),  # Vertex AI
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet", 0.06),  # Bedrock
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4", 0.06),  # Bedrock cross-region
    ("anthropic/claude-3.5-sonnet", "claude-3-5-sonnet", 0.06),  # OpenRouter
    ("gemini-1.5-pro-002", "gemini-1.5-pro", 0.0225),
    ("models/gemini-1.5-pro", "gemini-1.5-pro", 0.0225),
    ("gemini-2.0-flash@001", "gemini-2.0-flash", 0.0018),
    ("gemini-2.0-flash-001", "gemini-2.0-flash", 0.0018),
    (
        "projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001",
        "gemini-2.0-flash",
        0.0018,
    ),
    ("gemini-2.5-pro-preview-06-05", "gemini-2.5-pro", 0.0325),
    ("gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash", 0.008),
    ("mistral-large-2411", "mistral-large", 0.032),
    ("mistral.mistral-large-2407-v1:0", "mistral-large", 0.032),
    ("open-mistral-nemo-2407", "open-mistral-nemo", 0.0018),
    ("openai/gpt-4o", "gpt-4o", 0.045),
    ("GPT-4o", "gpt-4o", 0.045),
]


@pytest.mark.parametrize(
    ("model", "match", "expected"), DATED_VARIANTS, ids=[m for m, _, _ in DATED_VARIANTS]
)
def test_dated_variants_aliases_and_prefixed_ids_get_their_family_price(
    table: PriceTable, model: str, match: str, expected: float
) -> None:
    price = table.lookup(model, None, NOW)
    assert price is not None
    assert price.match == match
    assert cost(table, model).cost_usd == pytest.approx(expected, rel=1e-12)


def test_a_mini_snapshot_is_priced_as_mini_not_as_its_parent(table: PriceTable) -> None:
    price = table.lookup("gpt-4o-mini-2024-07-18", "openai", NOW)
    assert price is not None
    assert (price.match, price.input, price.output, price.cached_input) == ("gpt-4o-mini", 0.15, 0.60, 0.075)


def test_a_variant_priced_apart_from_its_family_keeps_its_own_price(table: PriceTable) -> None:
    # gpt-4-1106-preview looks like "gpt-4" plus a version, but it is a GPT-4 Turbo: $10/$30, not $30/$60.
    assert cost(table, "gpt-4-1106-preview").cost_usd == pytest.approx(0.16, rel=1e-12)
    assert cost(table, "gpt-4-0613").cost_usd == pytest.approx(0.42, rel=1e-12)  # 0.30 + 0.12


def test_only_version_noise_may_follow_a_family_name() -> None:
    rules = table_of(entry("gpt-4o", "2024-01-01", 1, 1), entry("claude-opus-4", "2024-01-01", 1, 1))
    for unknown in (
        "gpt-4o-mini-tts",
        "gpt-4o-realtime-preview",
        "gpt-4oo",
        "claude-opus-4-6",
        "claude-opus-4.6",
    ):
        assert rules.lookup(unknown, None, NOW) is None, unknown
    for known in ("gpt-4o-2024-08-06", "gpt-4o-latest", "gpt-4o@001", "claude-opus-4-20250514-v1:0"):
        assert rules.lookup(known, None, NOW) is not None, known


@pytest.mark.parametrize(
    "model", ["my-local-llama", "", "-", "@@@", "/", "gpt", "ft:gpt-4o-mini-2024-07-18:acme::abc", "x" * 256]
)
def test_an_unknown_model_has_no_cost_and_says_so(table: PriceTable, model: str) -> None:
    assert table.lookup(model, "openai", NOW) is None
    assert cost(table, model, provider="openai") == CostResult(None, "unknown_model")


def test_a_client_provided_cost_wins_even_zero(table: PriceTable) -> None:
    assert cost(table, "gpt-4o", client_cost=0.0) == CostResult(0.0, "client")
    assert cost(table, "gpt-4o", client_cost=1.25) == CostResult(1.25, "client")
    assert cost(table, "my-local-llama", client_cost=0.5) == CostResult(0.5, "client")


def test_an_event_before_a_price_change_keeps_the_old_price(table: PriceTable) -> None:
    # The gpt-4o alias: $5/$15 until it moved to the 2024-08-06 snapshot ($2.50/$10) on 2024-10-02.
    before = datetime(2024, 10, 1, 23, 59, 59, tzinfo=UTC)
    assert cost(table, "gpt-4o", at=before).cost_usd == pytest.approx(0.08, rel=1e-12)  # 0.05 + 0.03
    assert cost(table, "gpt-4o", at=before + timedelta(seconds=1)).cost_usd == pytest.approx(0.045, rel=1e-12)
    # The dated snapshots are not the alias: each keeps its own price whenever the call happened.
    assert cost(table, "gpt-4o-2024-05-13", at=NOW).cost_usd == pytest.approx(0.08, rel=1e-12)
    assert cost(table, "gpt-4o-2024-08-06", at=before).cost_usd == pytest.approx(0.045, rel=1e-12)
    # o3 was cut 80% on 2025-06-10: $10/$40 -> $2/$8.
    assert cost(table, "o3-2025-04-16", at=datetime(2025, 6, 9, tzinfo=UTC)).cost_usd == pytest.approx(0.18)
    assert cost(table, "o3-2025-04-16", at=datetime(2025, 6, 10, tzinfo=UTC)).cost_usd == pytest.approx(0.036)
    # Gemini 1.5 Pro before its 2024-10-01 cut: $3.50/$10.50 -> 0.035 + 0.021.
    assert cost(table, "gemini-1.5-pro-002", at=datetime(2024, 9, 30, tzinfo=UTC)).cost_usd == pytest.approx(
        0.056
    )


def test_price_history_boundaries_time_zones_and_naive_times() -> None:
    history = table_of(
        entry("m", "2024-01-01", 1, 0), entry("m", "2024-06-01", 2, 0), entry("m", "2025-01-01", 3, 0)
    )
    cases = [
        (datetime(2023, 6, 1, tzinfo=UTC), 1),  # older than the first entry: the first price
        (datetime(2024, 5, 31, 23, 59, tzinfo=UTC), 1),
        (datetime(2024, 6, 1, tzinfo=UTC), 2),  # effective from 00:00 UTC that day
        (datetime(2024, 5, 31, 21, 0, tzinfo=timezone(timedelta(hours=-4))), 2),  # = 2024-06-01T01:00Z
        (datetime(2024, 6, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))), 1),  # = 2024-05-31T23:00Z
        (datetime(2024, 6, 1, 0, 0), 2),  # naive: taken as UTC
        (datetime(2030, 1, 1, tzinfo=UTC), 3),
    ]
    for at, expected in cases:
        price = history.lookup("m-2024-01-01", None, at)
        assert price is not None
        assert price.input == expected, at


def test_a_provider_scoped_entry_prices_that_provider_only() -> None:
    scoped = table_of(entry("gpt-4o", "2024-01-01", 2.5, 10), entry("azure/gpt-4o", "2024-01-01", 2.75, 11))
    prices = {
        provider: scoped.lookup("gpt-4o-2024-08-06", provider, NOW) for provider in ("Azure", "openai", None)
    }
    assert {provider: price and price.input for provider, price in prices.items()} == {
        "Azure": 2.75,
        "openai": 2.5,
        None: 2.5,
    }


def test_cached_tokens_are_part_of_input_and_billed_at_the_cache_price(table: PriceTable) -> None:
    # gpt-4o: 6,000 uncached x $2.50 + 4,000 cached x $1.25 + 1,000 output x $10 = 0.015 + 0.005 + 0.010.
    result = cost(table, "gpt-4o", input_tokens=10_000, cached=4_000, output_tokens=1_000)
    assert result.cost_usd == pytest.approx(0.03, rel=1e-12)
    # Claude Sonnet 4.5: 2,000 x $3 + 8,000 x $0.30 + 500 x $15 = 0.006 + 0.0024 + 0.0075.
    result = cost(table, "claude-sonnet-4-5", input_tokens=10_000, cached=8_000, output_tokens=500)
    assert result.cost_usd == pytest.approx(0.0159, rel=1e-12)
    # Mistral Large has no cache price: cached tokens cost the input price, 10,000 x $2.
    result = cost(table, "mistral-large-2411", input_tokens=10_000, cached=4_000, output_tokens=0)
    assert result.cost_usd == pytest.approx(0.02, rel=1e-12)
    # More cached than input breaks the contract: billed as cached only, never negative (5,000 x $1.25).
    result = cost(table, "gpt-4o", input_tokens=1_000, cached=5_000, output_tokens=0)
    assert result.cost_usd == pytest.approx(0.00625, rel=1e-12)


def test_zero_tokens_cost_zero_from_the_table(table: PriceTable) -> None:
    assert cost(table, "gpt-4o", input_tokens=0, output_tokens=0, cached=0) == CostResult(0.0, "table")
    assert cost(table, "gpt-4o", input_tokens=0, output_tokens=0) == CostResult(0.0, "table")


BAD_ENTRIES = [
    (entry("gpt-bad", "2024-01-01", -1.0, 1.0), "`input` must be a finite price >= 0"),
    (entry("gpt-bad", "2024-01-01", 1.0, 1.0, cachedInput=-0.5), "`cachedInput` must be a finite price >= 0"),
    (entry("gpt-bad", "2024-13-01", 1.0, 1.0), "Invalid RFC3339 encoded date"),
    (entry("gpt-bad", "1 Jan 2024", 1.0, 1.0), "Invalid RFC3339 encoded date"),
    (entry("gpt-bad", "2024-01-01", "cheap", 1.0), "Expected `float`, got `str`"),
    (entry("gpt-bad", "2024-01-01", 1.0, 1.0, cachedinput=1.0), "unknown field `cachedinput`"),
    ({k: v for k, v in entry("gpt-bad", "2024-01-01", 1, 1).items() if k != "cachedInput"}, "`cachedInput`"),
    (entry("GPT-Bad", "2024-01-01", 1.0, 1.0), "lower-case model id"),
    (entry("gpt-bad", "2024-01-01", 1.0, 1.0, provider=" "), "`provider` is empty"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_ENTRIES, ids=[r for _, r in BAD_ENTRIES])
def test_an_invalid_entry_is_rejected_by_name(bad: dict[str, Any], reason: str) -> None:
    with pytest.raises(PriceTableError) as raised:
        table_of(entry("gpt-good", "2024-01-01", 1, 2), bad)
    message = str(raised.value)
    assert "entry 1" in message
    assert "gpt-bad" in message.lower()
    assert reason in message


def test_two_prices_for_one_model_on_one_date_are_rejected() -> None:
    with pytest.raises(PriceTableError, match=r"entry 2 \('gpt-x'\): a second price effective 2024-01-01"):
        table_of(
            entry("gpt-x", "2024-01-01", 1, 2),
            entry("gpt-y", "2024-01-01", 1, 2),
            entry("gpt-x", "2024-01-01", 3, 4),
        )


def test_entries_built_in_code_are_validated_too() -> None:
    nan = PriceEntry(
        match="gpt-nan",
        provider="test",
        effective=date(2024, 1, 1),
        input=float("nan"),
        output=1.0,
        cached_input=None,
    )
    with pytest.raises(PriceTableError, match=r"gpt-nan.*`input` must be a finite price"):
        PriceTable([nan])


@pytest.mark.parametrize("data", [b"", b"not json", b"[]", b'{"entries": {}}', b'{"note": "no entries"}'])
def test_a_file_that_is_not_a_price_table_is_rejected(data: bytes) -> None:
    with pytest.raises(PriceTableError, match="not a price table"):
        parse_price_table(data)


def test_the_packaged_table_loads_and_covers_the_four_providers(table: PriceTable) -> None:
    per_provider: dict[str, set[str]] = {}
    for item in table.entries:
        per_provider.setdefault(item.provider, set()).add(item.match)
    assert set(per_provider) == {"openai", "anthropic", "google", "mistral"}
    assert all(len(models) >= 8 for models in per_provider.values()), per_provider


def test_a_table_file_loads_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"entries": [entry("local-model", "2025-01-01", 1, 2)]}))
    price = load_price_table(path).lookup("local-model-latest", None, NOW)
    assert price is not None
    assert (price.input, price.output, price.effective, price.provider) == (1, 2, date(2025, 1, 1), "test")


# The grammar of version noise as the regex that used to implement it (ASCII digits): an oracle for
# short ids only, where its exponential backtracking cannot bite.
NOISE_GRAMMAR = re.compile(
    r"(?:[-@](?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}-[0-9]{4}|[0-9]{2}-[0-9]{2}|[0-9]{3,8}|0|latest|preview"
    r"|exp|v[0-9]+(?::[0-9]+)?))*"
)
NOISE_PIECES = ["-", "@", "0", "1", "12", "123", "2024", "-2024-08-06", "v1", ":", "latest", "x", "-preview"]


@settings(max_examples=2_000, deadline=None)
@example("@12@x0-2024-08-06")  # a date token must not borrow pieces across an `@`
@example("-09-2025-05-20@001-v1:0")
@given(st.lists(st.sampled_from(NOISE_PIECES), max_size=12).map("".join))
def test_version_noise_follows_its_documented_grammar(suffix: str) -> None:
    assert is_version_noise(suffix) == bool(NOISE_GRAMMAR.fullmatch(suffix)), suffix


def adversarial_names(count: int) -> list[str]:
    """Distinct ids of <= 256 characters that made the old regex backtrack exponentially.

    A date `-2024-01-01` also reads as a version `-2024` plus `-01-01`, so 23 of them after a family
    name with a bad last character left 2**23 ways to try; each took ~3.5 s before the rewrite. They
    differ in their last character so that the lookup cache cannot answer for them.
    """
    shapes = ["o1" + "-2024-01-01" * 23, "gpt-4o" + "-2024-01-01" * 22, "claude-3-opus" + "-2024-01-01" * 21]
    names = [f"{shape}{chr(0x4E00 + n)}" for n in range(count) for shape in shapes][:count]
    assert all(len(name) <= 256 for name in names)
    return names


def test_adversarial_model_ids_are_looked_up_in_linear_time(table: PriceTable) -> None:
    names = adversarial_names(1_000)
    started = time.perf_counter()
    for name in names:
        assert table.lookup(name, "openai", NOW) is None
    elapsed = time.perf_counter() - started
    # Linear: ~0.1 ms per id here; the backtracking regex took seconds for each one.
    assert elapsed < 1.0, f"1,000 adversarial lookups took {elapsed:.2f} s"


def test_a_long_run_of_version_noise_still_matches(table: PriceTable) -> None:
    price = table.lookup("o1" + "-2024-01-01" * 23, None, NOW)
    assert price is not None
    assert price.match == "o1"
