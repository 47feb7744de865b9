"""Failure classification: produce errors (Kafka) and ClickHouse errors by their exact code."""

from __future__ import annotations

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    RecordListTooLargeError,
)
from clickhouse_connect.driver.exceptions import DatabaseError, DataError, OperationalError
from faust.exceptions import ProducerSendError

from core.clickhouse import PERMANENT_CODES, error_code, is_permanent
from streams.errors import is_permanent_produce_error, is_transient_kafka_error


def wrapped(cause: BaseException) -> ProducerSendError:
    """As faust raises it: `raise ProducerSendError(...) from exc`."""
    try:
        raise ProducerSendError(f"Error while sending: {cause!r}") from cause
    except ProducerSendError as exc:
        return exc


@pytest.mark.parametrize("exc", [MessageSizeTooLargeError(), RecordListTooLargeError()])
def test_a_record_kafka_refuses_is_permanent_bare_or_wrapped_by_faust(exc: Exception) -> None:
    assert is_permanent_produce_error(exc)
    assert is_permanent_produce_error(wrapped(exc))
    assert not is_transient_kafka_error(wrapped(exc))


@pytest.mark.parametrize(
    "exc", [KafkaConnectionError(), KafkaTimeoutError(), NotLeaderForPartitionError(), ConnectionResetError()]
)
def test_kafka_unreachable_is_transient_never_permanent(exc: Exception) -> None:
    assert is_transient_kafka_error(exc)
    assert is_transient_kafka_error(wrapped(exc))
    assert not is_permanent_produce_error(exc)


def test_a_bug_is_neither() -> None:
    assert not is_transient_kafka_error(KeyError("x"))
    assert not is_permanent_produce_error(KeyError("x"))


def test_the_code_clickhouse_connect_parsed_wins() -> None:
    assert error_code(DatabaseError("whatever", code=27)) == 27
    assert is_permanent(DatabaseError("whatever", code=27))
    assert not is_permanent(DatabaseError("Code: 27. DB::Exception", code=279))


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("Code: 27. DB::Exception: Cannot parse input", 27),
        ("Code: 279. DB::Exception: All connection tries failed", 279),
        ("HTTPDriver for http://ch:8123 received ClickHouse error code 53\n Code: 53. DB::Exception: x", 53),
        ("Code: 2790. DB::Exception: not a code we know", 2790),
        ("connection refused; see Code: 27. in the docs", None),  # not at the start of a line
        ("", None),
    ],
)
def test_a_code_without_the_attribute_is_read_anchored(message: str, code: int | None) -> None:
    assert error_code(OperationalError(message)) == code


def test_279_is_not_27() -> None:
    """The substring match this replaced read "Code: 279" as 27 and dead-lettered rows in an outage."""
    assert 27 in PERMANENT_CODES
    assert not is_permanent(OperationalError("Code: 279. DB::Exception: All connection tries failed"))
    assert not is_permanent(OperationalError("Code: 2700. DB::Exception: x"))
    assert is_permanent(OperationalError("Code: 27. DB::Exception: Cannot parse input"))


def test_a_value_the_client_cannot_serialize_is_permanent_and_an_outage_is_not() -> None:
    assert is_permanent(DataError("Unable to create native array for column `input_tokens`"))
    assert not is_permanent(OperationalError("Error HTTPConnectionPool: connection refused"))
    assert not is_permanent(ConnectionRefusedError("refused"))
