"""Closing the books: what ClickHouse stored and what the DLQ holds, against the ledger of what was sent.

`reconcile` fills each phase's stored, duplicate and dead-lettered counts into the ledger and returns
every discrepancy as a list of findings, so a failing run names all of them at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from tests.support.ledger import EventKey, InjectedPoison, Ledger

DLQ_HEADERS = ("lynex-stage", "lynex-error", "lynex-original-topic", "lynex-original-partition")


@dataclass
class Findings:
    missing: list[EventKey] = field(default_factory=list)  # accepted, not stored
    duplicated: dict[EventKey, int] = field(default_factory=dict)  # stored more than once
    refused_but_stored: list[EventKey] = field(default_factory=list)
    unexpected: list[EventKey] = field(default_factory=list)  # stored, never sent by us
    altered: list[str] = field(default_factory=list)  # stored content differs from what was sent
    poison_not_dead_lettered: list[InjectedPoison] = field(default_factory=list)
    dead_letters_unaccounted: list[str] = field(default_factory=list)  # DLQ records we did not inject
    dead_letter_copies: int = 0  # extra DLQ records of one poison record (a redelivery, not a loss)
    dead_letters_by_stage: Counter[str] = field(default_factory=Counter)
    stored_by_project: Counter[str] = field(default_factory=Counter)  # distinct ids

    def problems(self) -> list[str]:
        out = []
        if self.missing:
            out.append(f"{len(self.missing)} accepted event(s) not stored, e.g. {self.missing[:5]}")
        if self.duplicated:
            out.append(
                f"{len(self.duplicated)} event(s) stored more than once, e.g. {list(self.duplicated)[:5]}"
            )
        if self.refused_but_stored:
            out.append(
                f"{len(self.refused_but_stored)} refused event(s) stored: {self.refused_but_stored[:5]}"
            )
        if self.unexpected:
            out.append(f"{len(self.unexpected)} stored event(s) nobody sent: {self.unexpected[:5]}")
        if self.altered:
            out.append(f"{len(self.altered)} stored event(s) differ from what was sent: {self.altered[:5]}")
        if self.poison_not_dead_lettered:
            kinds = [(p.kind, p.partition, p.offset) for p in self.poison_not_dead_lettered]
            out.append(f"{len(kinds)} poison record(s) not on the DLQ: {kinds}")
        if self.dead_letters_unaccounted:
            out.append(
                f"{len(self.dead_letters_unaccounted)} DLQ record(s) that are not our poison: "
                f"{self.dead_letters_unaccounted[:5]}"
            )
        return out


def reconcile(ledger: Ledger, stored: Iterable[tuple[str, str, int, str]], dlq: Iterable[Any]) -> Findings:
    """`stored`: (project_id, event_id, row count, body) per stored id; `dlq`: ConsumerRecords."""
    findings = Findings()
    seen: set[EventKey] = set()
    for project_id, event_id, count, body in stored:
        key = (project_id, event_id)
        seen.add(key)
        findings.stored_by_project[project_id] += 1
        if count > 1:
            findings.duplicated[key] = count
        if key in ledger.accepted:
            phase, sent = ledger.accepted[key]
            ledger.counts(phase).stored += 1
            ledger.counts(phase).duplicates += count - 1
            if (why := _altered(sent, body)) is not None:
                findings.altered.append(f"{key}: {why}")
        elif key in ledger.refused:
            findings.refused_but_stored.append(key)
        elif key not in ledger.unanswered:  # a request without a final answer may or may not be stored
            findings.unexpected.append(key)
    findings.missing = [key for key in ledger.accepted if key not in seen]
    _match_dead_letters(ledger, list(dlq), findings)
    return findings


# Body fields the gateway leaves out when they hold the contract's default (msgspec's omit_defaults).
OMITTED_DEFAULTS: dict[str, Any] = {"status": "ok"}


def _altered(sent: dict[str, Any], stored_body: str) -> str | None:
    """How the stored body differs from the sent one, field by field (None: it does not)."""
    body = msgspec.json.decode(stored_body)
    for name, want in sent["body"].items():
        if name not in body and OMITTED_DEFAULTS.get(name, ...) == want:
            continue
        got = body.get(name)
        if got != want:
            got_text, want_text = str(got), str(want)
            return (
                f"{name}: {len(got_text)} chars {got_text[:40]!r}... instead of"
                f" {len(want_text)} chars {want_text[:40]!r}..."
            )
    return None


def _match_dead_letters(ledger: Ledger, records: list[Any], findings: Findings) -> None:
    by_origin: dict[tuple[str, int, int], list[Any]] = {}
    for record in records:
        headers = {name: value.decode(errors="replace") for name, value in record.headers}
        missing = [h for h in DLQ_HEADERS if not headers.get(h)]
        origin = (
            headers.get("lynex-original-topic", ""),
            int(headers.get("lynex-original-partition", "-1")),
            int(headers.get("lynex-original-offset", "-1")),
        )
        if missing:
            findings.dead_letters_unaccounted.append(f"{origin} without headers {missing}: {headers}")
            continue
        by_origin.setdefault(origin, []).append((record, headers))
        findings.dead_letters_by_stage[headers["lynex-stage"]] += 1
    injected = {(p.topic, p.partition, p.offset): p for p in ledger.poison}
    for origin, found in by_origin.items():
        poison = injected.get(origin)
        if poison is None:
            findings.dead_letters_unaccounted.extend(
                f"{origin} stage {h['lynex-stage']}: {h['lynex-error'][:200]}" for _, h in found
            )
            continue
        if any(record.value != poison.value for record, _ in found):
            findings.dead_letters_unaccounted.append(f"{origin}: dead-lettered value differs from the poison")
        stages = {h["lynex-stage"] for _, h in found}
        if poison.stage not in stages:
            findings.dead_letters_unaccounted.append(
                f"{poison.kind}: dead-lettered by {stages}, not {poison.stage}"
            )
        ledger.counts(poison.phase).dead_lettered += 1
        findings.dead_letter_copies += len(found) - 1
    findings.poison_not_dead_lettered = [p for key, p in injected.items() if key not in by_origin]
