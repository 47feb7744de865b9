"""The reconciliation test's books: what was sent in each fault phase and what became of it.

Every request ends in exactly one column: accepted (202), refused (a 4xx, counted per status), or
unanswered (no final answer within the retry deadline, or a 5xx other than the retried 503). 503 and
429 are not outcomes: the client retries the same events, as an SDK does. Every poison record written
past the gateway is booked with its topic, partition and offset, to be found again on the DLQ.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

EventKey = tuple[str, str]  # (project_id, event_id)


@dataclass
class PhaseCounts:
    sent: int = 0  # events in requests (an unparseable body counts as one)
    accepted: int = 0
    resent: int = 0  # accepted events sent again with the same ids (a client retrying after a lost 202)
    refused: Counter[int] = field(default_factory=Counter)  # events, per 4xx status
    retried: Counter[str] = field(default_factory=Counter)  # answers retried: "503", "429", "no connection"
    unanswered: Counter[str] = field(default_factory=Counter)  # events without a final answer, per reason
    poison: int = 0
    dead_lettered: int = 0
    stored: int = 0
    duplicates: int = 0


@dataclass(frozen=True)
class InjectedPoison:
    phase: str
    kind: str
    stage: str  # the stage that must dead-letter it
    topic: str
    partition: int
    offset: int
    value: bytes


@dataclass
class Ledger:
    phase: str = "start"
    phases: dict[str, PhaseCounts] = field(default_factory=dict)
    accepted: dict[EventKey, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # -> (phase, event)
    refused: dict[EventKey, str] = field(default_factory=dict)  # -> the refusal's kind
    unanswered: dict[EventKey, str] = field(default_factory=dict)  # -> why
    wrong_answers: list[str] = field(default_factory=list)
    poison: list[InjectedPoison] = field(default_factory=list)

    def begin(self, phase: str) -> None:
        self.phase = phase
        self.phases.setdefault(phase, PhaseCounts())

    def counts(self, phase: str | None = None) -> PhaseCounts:
        return self.phases.setdefault(phase or self.phase, PhaseCounts())

    def accepted_in(self, phase: str) -> int:
        return self.counts(phase).accepted

    def book_accepted(self, phase: str, project_id: str, events: list[dict[str, Any]]) -> None:
        counts = self.counts(phase)
        counts.sent += len(events)
        counts.accepted += len(events)
        for event in events:
            self.accepted[(project_id, event["eventId"])] = (phase, event)

    def book_resent(self, phase: str, events: int) -> None:
        self.counts(phase).resent += events

    def book_refused(
        self, phase: str, project_id: str, kind: str, event_ids: tuple[str, ...], events: int, status: int
    ) -> None:
        counts = self.counts(phase)
        counts.sent += events
        counts.refused[status] += events
        for event_id in event_ids:
            self.refused[(project_id, event_id)] = kind

    def book_unanswered(
        self, phase: str, project_id: str, event_ids: list[str], events: int, why: str
    ) -> None:
        counts = self.counts(phase)
        counts.sent += events
        counts.unanswered[why] += events
        for event_id in event_ids:
            self.unanswered[(project_id, event_id)] = why

    def book_retry(self, phase: str, reason: str) -> None:
        self.counts(phase).retried[reason] += 1

    def book_poison(self, poison: InjectedPoison) -> None:
        self.counts(poison.phase).poison += 1
        self.poison.append(poison)

    def report(self) -> str:
        """One line per phase and one for the whole run."""
        total = PhaseCounts()
        lines = []
        for name, c in self.phases.items():
            lines.append(_line(name, c))
            total.sent += c.sent
            total.accepted += c.accepted
            total.resent += c.resent
            total.refused.update(c.refused)
            total.retried.update(c.retried)
            total.unanswered.update(c.unanswered)
            total.poison += c.poison
            total.dead_lettered += c.dead_lettered
            total.stored += c.stored
            total.duplicates += c.duplicates
        lines.append(_line("overall", total))
        return "\n".join(lines)


def _line(name: str, c: PhaseCounts) -> str:
    refused = ", ".join(f"{s}: {n}" for s, n in sorted(c.refused.items())) or "none"
    retried = ", ".join(f"{s}: {n}" for s, n in sorted(c.retried.items())) or "none"
    unanswered = ", ".join(f"{s}: {n}" for s, n in sorted(c.unanswered.items())) or "none"
    return (
        f"{name:>20}: sent {c.sent:>5}, accepted (202) {c.accepted:>5} (+{c.resent} resent), "
        f"refused 4xx {{{refused}}}, "
        f"poison {c.poison}, dead-lettered {c.dead_lettered}, stored {c.stored:>5}, "
        f"duplicates {c.duplicates}, unanswered {{{unanswered}}}, retried answers {{{retried}}}"
    )
