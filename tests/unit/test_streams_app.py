"""The streams faust app's consumer: no record is delivered between its seek and faust's queue clear."""

from __future__ import annotations

from typing import Any

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
