"""The reconciliation test's client: posts to the gateway as an SDK does and books every answer.

Like the SDKs, it retries a 503 or 429 (and a connection the gateway could not answer) with the same
events until a deadline: a retried event may reach Kafka twice, and storage must show it once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.ledger import Ledger
from tests.support.tenants import Tenant
from tests.support.traffic import JSON, Refusal, batch

URL = "/api/v1/events"
RETRIED = (429, 503)


@dataclass
class Answer:
    status: int | None  # None: no final answer before the deadline
    text: str


@dataclass
class IngestClient:
    client: httpx.AsyncClient
    ledger: Ledger
    retry_for: float = 45.0  # good events: long enough to outlast a broker restart
    refusal_retry_for: float = 15.0  # a refusal answered 503 is a finding: don't wait out an outage for it

    async def send(self, tenant: Tenant, events: list[dict[str, Any]]) -> int | None:
        """Post good events; they must be accepted (202)."""
        phase = self.ledger.phase
        answer = await self._post(phase, tenant, batch(events), JSON, self.retry_for)
        ids = [e["eventId"] for e in events]
        if answer.status == 202:
            self.ledger.book_accepted(phase, tenant.project_id, events)
        else:
            why = "no answer before the deadline" if answer.status is None else f"status {answer.status}"
            self.ledger.book_unanswered(phase, tenant.project_id, ids, len(events), why)
            self.ledger.wrong_answers.append(f"{len(events)} good event(s): {why}: {answer.text[:300]}")
        return answer.status

    async def resend(self, tenant: Tenant, events: list[dict[str, Any]]) -> int | None:
        """Post accepted events again with the same ids, as a client does that lost the 202: they must
        be accepted again and stored once."""
        phase = self.ledger.phase
        answer = await self._post(phase, tenant, batch(events), JSON, self.retry_for)
        if answer.status == 202:
            self.ledger.book_resent(phase, len(events))
        else:
            self.ledger.wrong_answers.append(
                f"{len(events)} resent event(s): {answer.status}: {answer.text[:300]}"
            )
        return answer.status

    async def refuse(self, tenant: Tenant, refusal: Refusal) -> int | None:
        """Post a request the gateway must refuse with `refusal.status`."""
        phase = self.ledger.phase
        answer = await self._post(phase, tenant, refusal.body, refusal.headers, self.refusal_retry_for)
        if answer.status is None:
            self.ledger.book_unanswered(
                phase, tenant.project_id, list(refusal.event_ids), refusal.events, "no answer"
            )
        else:
            self.ledger.book_refused(
                phase, tenant.project_id, refusal.kind, refusal.event_ids, refusal.events, answer.status
            )
        if answer.status != refusal.status:
            self.ledger.wrong_answers.append(
                f"{refusal.kind}: {answer.status} instead of {refusal.status}: {answer.text[:300]}"
            )
        return answer.status

    async def _post(
        self, phase: str, tenant: Tenant, body: bytes, headers: dict[str, str], retry_for: float
    ) -> Answer:
        deadline = time.monotonic() + retry_for
        delay = 0.2
        last = "not sent"
        while time.monotonic() < deadline:
            try:
                response = await self.client.post(URL, content=body, headers={**headers, **tenant.headers})
            except httpx.TransportError as exc:
                self.ledger.book_retry(phase, "no connection")
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code not in RETRIED:
                    return Answer(response.status_code, response.text)
                self.ledger.book_retry(phase, str(response.status_code))
                last = f"{response.status_code}: {response.text}"
                if "Retry-After" not in response.headers:  # the contract: every 503 and 429 says when
                    self.ledger.wrong_answers.append(
                        f"{response.status_code} without Retry-After: {last[:200]}"
                    )
                retry_after = float(response.headers.get("Retry-After", delay))
                delay = max(delay, min(retry_after, 2.0))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        return Answer(None, last)
