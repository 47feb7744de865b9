"""An alert notice Kafka refuses for good is an invalid record (dead-lettered by the boundary, never a
crashed app); a send while Kafka is away is retried until it is written."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError, NotLeaderForPartitionError
from faust.exceptions import ProducerSendError

from contracts.alerts import AlertNotice, decode_notice
from streams.alert_agents import send_notice
from streams.errors import InvalidRecord

NOTICE = AlertNotice(
    alert_id="a1", project_id="p", rule_id="r1", rule_name="n", kind="tokens", state="fired",
    at=0.0, value=1.0, threshold=0.0, window_minutes=1,
)  # fmt: skip


class AlertsTopic:
    """`send` raises the queued errors first (as faust does, synchronously), then the awaited
    acknowledgement fails with the queued ack errors, then records are written."""

    def __init__(self, send_errors: list[BaseException], ack_errors: list[BaseException]) -> None:
        self.send_errors = send_errors
        self.ack_errors = ack_errors
        self.written: list[tuple[bytes, bytes]] = []

    async def send(self, *, key: bytes, value: bytes) -> Any:
        if self.send_errors:
            raise self.send_errors.pop(0)
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.ack_errors:
            ack.set_exception(self.ack_errors.pop(0))
        else:
            self.written.append((key, value))
            ack.set_result(None)
        return ack


def wrapped(cause: BaseException) -> ProducerSendError:
    try:
        raise ProducerSendError(f"Error while sending: {cause!r}") from cause
    except ProducerSendError as exc:
        return exc


async def test_a_notice_kafka_refuses_is_an_invalid_record_of_the_alert_stage() -> None:
    topic = AlertsTopic([wrapped(MessageSizeTooLargeError())], [])
    with pytest.raises(InvalidRecord) as caught:
        await send_notice(topic, NOTICE)
    assert caught.value.stage == "alert"
    assert "MessageSizeTooLargeError" in caught.value.reason
    assert topic.written == []


async def test_a_notice_sent_while_kafka_is_away_is_retried_until_written() -> None:
    topic = AlertsTopic([wrapped(KafkaConnectionError())], [NotLeaderForPartitionError()])
    await send_notice(topic, NOTICE)
    [(key, value)] = topic.written
    assert key == b"r1"
    assert decode_notice(value) == NOTICE
