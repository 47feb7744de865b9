"""The streams error taxonomy: every failure while processing one record is one of three outcomes.

    InvalidRecord            this record can never succeed: dead-letter it, ack it, move on
                             (caught only by the dead-letter boundary, streams.dlq.DeadLetterBoundary)
    transient infrastructure Kafka or ClickHouse unreachable, timeouts: retry, never dead-letter
                             (`is_transient_kafka_error`, core.clickhouse.TRANSIENT_ERRORS)
    anything else            a bug: it crashes the worker; the supervisor restarts it and it re-reads
                             from its last commit (core.supervise)

Stages raise InvalidRecord; they never write to the DLQ themselves (arroyo's `InvalidMessage` model).
"""

from __future__ import annotations

from aiokafka.errors import (
    CorruptRecordException,
    InvalidMessageError,
    InvalidTimestampError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    UnsupportedForMessageFormatError,
)
from faust.exceptions import ProducerSendError

# A produce error that is about the record itself: sending it again can never succeed.
_PERMANENT_PRODUCE_ERRORS: tuple[type[KafkaError], ...] = (
    MessageSizeTooLargeError,  # over the producer's max_request_size or the topic's max.message.bytes
    RecordListTooLargeError,
    RecordTooLargeError,
    CorruptRecordException,
    InvalidMessageError,
    InvalidTimestampError,
    UnsupportedForMessageFormatError,
)

# What a send (or its awaited acknowledgement) raises: faust wraps aiokafka's errors in ProducerSendError.
SEND_ERRORS: tuple[type[BaseException], ...] = (ProducerSendError, KafkaError, OSError)


class InvalidRecord(Exception):
    """One record that can never be processed, and the stage that found out."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason


def kafka_cause(exc: BaseException) -> BaseException:
    """The aiokafka error behind `exc`: faust wraps a failed send in ProducerSendError."""
    seen = 0
    while not isinstance(exc, KafkaError) and exc.__cause__ is not None and seen < 5:
        exc, seen = exc.__cause__, seen + 1
    return exc


def is_permanent_produce_error(exc: BaseException) -> bool:
    """The record cannot be written to Kafka, ever (too large, rejected by the broker)."""
    return isinstance(kafka_cause(exc), _PERMANENT_PRODUCE_ERRORS)


def is_transient_kafka_error(exc: BaseException) -> bool:
    """Kafka is not reachable or not ready right now (the producer gave up within its timeout).

    Any KafkaError that is not about the record itself counts: authorization or leadership problems are
    the infrastructure's, and retrying is what lets an operator fix them without losing the record.
    """
    cause = kafka_cause(exc)
    return isinstance(cause, KafkaError | OSError) and not is_permanent_produce_error(cause)
