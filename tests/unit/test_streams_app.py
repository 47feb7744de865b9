"""The streams faust app: no record is delivered between its consumer's seek and faust's queue clear, and
one changelog record Kafka refuses does not stop the app."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError
from faust.exceptions import ProducerSendError

from streams.dlq import DeadLetterBoundary
from streams.enrich_agent import StreamsApp


async def test_the_consumer_stops_its_flow_before_seeking_to_the_committed_offsets() -> None:
    app = StreamsApp("unit-streams", broker="kafka://127.0.0.1:1", web_enabled=False, store="memory://")
    consumer: Any = app.consumer
    consumer.resume_flow()
    flow_during_seek: list[bool] = []

    async def seek_to_committed() -> dict[Any, int]:
        flow_during_seek.append(consumer.flow_active)
        return {}

    consumer.seek_to_committed = seek_to_committed
    try:
        await consumer.perform_seek()
    finally:
        consumer._thread.thread_loop.close()  # the consumer thread's own loop; never started here

    # faust-streaming#596: with the flow still active, the fetcher delivers records read after the seek
    # into queues that faust clears right after; they would never be processed nor acked.
    assert flow_during_seek == [False]
    assert consumer.suspend_flow.is_set()
    # faust's recovery resumes the flow itself once it has cleared the queues.
    consumer.resume_flow()
    assert consumer.flow_active


class Channel:
    """The changelog topic as the producer buffer sees it: publishing raises the queued errors first."""

    def __init__(self, errors: list[BaseException]) -> None:
        self.errors = errors
        self.published = 0

    def get_topic_name(self) -> str:
        return "unit-streams-alert-windows-changelog"

    async def publish_message(self, fut: Any, wait: bool = False) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.published += 1


class PendingRecord(asyncio.Future):  # type: ignore[type-arg]
    message: Any


class RecordingDeadLetters:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, **record: Any) -> None:
        self.sent.append(record)


def send_error(cause: BaseException) -> ProducerSendError:
    try:
        raise ProducerSendError(f"Error while sending: {cause!r}") from cause
    except ProducerSendError as exc:
        return exc


def changelog_record(channel: Channel) -> PendingRecord:
    fut = PendingRecord()
    fut.message = SimpleNamespace(channel=channel, key=b"project", value=b"window", partition=3)
    return fut


def app_with_dead_letters() -> tuple[StreamsApp, RecordingDeadLetters]:
    app = StreamsApp("unit-streams", broker="kafka://127.0.0.1:1", web_enabled=False, store="memory://")
    dead_letters = RecordingDeadLetters()
    app.dead_letter_boundary = DeadLetterBoundary(dead_letters)  # type: ignore[arg-type]
    return app, dead_letters


async def test_a_changelog_record_kafka_refuses_is_dead_lettered_instead_of_crashing_the_app() -> None:
    """faust sends table changelogs from a buffer task; a refused send there crashed the whole app."""
    app, dead_letters = app_with_dead_letters()
    channel = Channel([send_error(MessageSizeTooLargeError())])
    fut = changelog_record(channel)
    await app.producer.buffer._send_pending(fut)  # returns: the buffer task lives on
    assert isinstance(fut.exception(), ProducerSendError)  # as faust fails a record the broker refuses
    [record] = dead_letters.sent
    assert record["stage"] == "changelog"
    assert "MessageSizeTooLargeError" in record["error"]
    assert (record["topic"], record["partition"], record["key"], record["value"]) == (
        "unit-streams-alert-windows-changelog",
        3,
        b"project",
        b"window",
    )


async def test_a_changelog_send_while_kafka_is_away_is_retried_and_a_bug_still_raises() -> None:
    app, dead_letters = app_with_dead_letters()
    channel = Channel([send_error(KafkaConnectionError())])
    await app.producer.buffer._send_pending(changelog_record(channel))
    assert channel.published == 1
    assert dead_letters.sent == []
    with pytest.raises(KeyError):
        await app.producer.buffer._send_pending(changelog_record(Channel([KeyError("bug")])))
