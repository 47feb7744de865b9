"""Auto-instrumentation with the real `openai` and `anthropic` clients against a local server that
answers like the providers: each call becomes one llm_call event with model, tokens, latency and
status, without the application calling `capture_llm_call`, and what the application gets back is
unchanged."""

from __future__ import annotations

import os
import subprocess
import sys

import anthropic
import lynex
import openai
import pytest

from tests.sdk.fake_providers import ANTHROPIC_MODEL, OPENAI_MODEL, RESPONSES_MODEL, FakeProviders
from tests.sdk.support import assert_valid_payload

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}]


@pytest.fixture
def providers():
    with FakeProviders() as fake:
        yield fake


@pytest.fixture
def lynex_client(gateway):
    return lynex.init(api_key="sk_test", endpoint=gateway.url, flush_at=1000, environ={})


def captured(client, gateway, validator, count=1):
    assert client.flush(5)
    body = {"events": gateway.accepted_events()}
    assert len(body["events"]) == count, body
    assert_valid_payload(validator, body)
    return [e["body"] for e in body["events"]]


# -- OpenAI chat completions ----------------------------------------------------------------------


def test_openai_chat_completion(providers, lynex_client, gateway, validator):
    with openai.OpenAI(api_key="sk-x", base_url=providers.url + "/v1", max_retries=0) as client:
        result = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2)
    assert result.choices[0].message.content == "Paris."

    (body,) = captured(lynex_client, gateway, validator)
    assert body["model"] == OPENAI_MODEL, "the model that answered, not the alias asked for"
    assert body["provider"] == "openai"
    assert body["tokens"] == {"input": 21, "output": 2, "cached": 4, "reasoning": 0}
    assert body["status"] == "ok"
    assert 0 < body["latencyMs"] < 5000
    assert body["prompt"] == MESSAGES
    assert body["response"] == {"role": "assistant", "content": "Paris."}
    assert body["params"] == {"temperature": 0.2}


def test_openai_chat_stream_with_usage(providers, lynex_client, gateway, validator):
    with openai.OpenAI(api_key="sk-x", base_url=providers.url + "/v1", max_retries=0) as client:
        stream = client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "Hello!"

    (body,) = captured(lynex_client, gateway, validator)
    assert body["model"] == OPENAI_MODEL
    assert body["tokens"] == {"input": 9, "output": 3}
    assert body["response"] == {"role": "assistant", "content": "Hello!"}
    assert body["status"] == "ok"
    assert body["params"]["stream"] is True


def test_openai_chat_stream_helper_and_context_manager(providers, lynex_client, gateway, validator):
    with (
        openai.OpenAI(api_key="sk-x", base_url=providers.url + "/v1", max_retries=0) as client,
        client.chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES) as stream,
    ):
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "Hello!"

    (body,) = captured(lynex_client, gateway, validator)
    assert body["response"]["content"] == "Hello!"
    assert body["tokens"] == {"input": 0, "output": 0}, "no usage asked for, none invented"


def test_openai_error_is_captured_and_still_raised(providers, lynex_client, gateway, validator):
    with (
        openai.OpenAI(api_key="sk-x", base_url=providers.url + "/v1", max_retries=0) as client,
        pytest.raises(openai.RateLimitError),
    ):
        client.chat.completions.create(model="gpt-4o-mini-429", messages=MESSAGES)

    (body,) = captured(lynex_client, gateway, validator)
    assert body["status"] == "error"
    assert body["error"]["type"] == "RateLimitError"
    assert body["model"] == "gpt-4o-mini-429"
    assert "response" not in body


async def test_openai_async_and_async_stream(providers, lynex_client, gateway, validator):
    async with openai.AsyncOpenAI(api_key="sk-x", base_url=providers.url + "/v1", max_retries=0) as client:
        result = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = [chunk async for chunk in stream]
    assert result.choices[0].message.content == "Paris."
    assert len(chunks) == 5

    plain, streamed = captured(lynex_client, gateway, validator, count=2)
    assert plain["tokens"]["input"] == 21
    assert streamed["tokens"] == {"input": 9, "output": 3}
    assert streamed["response"]["content"] == "Hello!"


def test_openai_responses_api(providers, lynex_client, gateway, validator):
    with openai.OpenAI(api_key="sk-x", base_url=providers.url + "/v1", max_retries=0) as client:
        result = client.responses.create(
            model="gpt-4.1-mini", input="Say hi in French", instructions="Brief."
        )
        events = list(client.responses.create(model="gpt-4.1-mini", input="Say hi in French", stream=True))
    assert result.output_text == "Bonjour"
    assert events[-1].type == "response.completed"

    plain, streamed = captured(lynex_client, gateway, validator, count=2)
    for body in (plain, streamed):
        assert body["model"] == RESPONSES_MODEL
        assert body["tokens"] == {"input": 11, "output": 4, "cached": 0, "reasoning": 2}
        assert body["response"] == "Bonjour"
    assert plain["prompt"] == [
        {"role": "system", "content": "Brief."},
        {"role": "user", "content": "Say hi in French"},
    ]


# -- Anthropic messages ---------------------------------------------------------------------------


def test_anthropic_message(providers, lynex_client, gateway, validator):
    with anthropic.Anthropic(api_key="sk-ant", base_url=providers.url, max_retries=0) as client:
        result = client.messages.create(
            model="claude-test", max_tokens=64, system="Be brief.", messages=MESSAGES[1:]
        )
    assert result.content[0].text == "Bonjour!"

    (body,) = captured(lynex_client, gateway, validator)
    assert body["model"] == ANTHROPIC_MODEL
    assert body["provider"] == "anthropic"
    # input counts every prompt token: 30 uncached + 100 cache reads + 20 cache writes
    assert body["tokens"] == {"input": 150, "output": 5, "cached": 100}
    assert body["response"] == {"role": "assistant", "content": "Bonjour!"}
    assert body["prompt"][0] == {"role": "system", "content": "Be brief."}
    assert body["params"] == {"max_tokens": 64}


def test_anthropic_create_stream(providers, lynex_client, gateway, validator):
    with anthropic.Anthropic(api_key="sk-ant", base_url=providers.url, max_retries=0) as client:
        stream = client.messages.create(
            model="claude-test", max_tokens=64, messages=MESSAGES[1:], stream=True
        )
        kinds = [event.type for event in stream]
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"

    (body,) = captured(lynex_client, gateway, validator)
    assert body["tokens"] == {"input": 20, "output": 7, "cached": 8}
    assert body["response"] == {"role": "assistant", "content": "Hello there"}


def test_anthropic_stream_helper(providers, lynex_client, gateway, validator):
    with (
        anthropic.Anthropic(api_key="sk-ant", base_url=providers.url, max_retries=0) as client,
        client.messages.stream(model="claude-test", max_tokens=64, messages=MESSAGES[1:]) as stream,
    ):
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello there"
    assert final.usage.output_tokens == 7

    (body,) = captured(lynex_client, gateway, validator)
    assert body["model"] == ANTHROPIC_MODEL
    assert body["tokens"] == {"input": 20, "output": 7, "cached": 8}
    assert body["response"]["content"] == "Hello there"


async def test_anthropic_async_create_and_stream_helper(providers, lynex_client, gateway, validator):
    async with anthropic.AsyncAnthropic(api_key="sk-ant", base_url=providers.url, max_retries=0) as client:
        result = await client.messages.create(model="claude-test", max_tokens=64, messages=MESSAGES[1:])
        async with client.messages.stream(
            model="claude-test", max_tokens=64, messages=MESSAGES[1:]
        ) as stream:
            text = "".join([t async for t in stream.text_stream])
    assert result.content[0].text == "Bonjour!"
    assert text == "Hello there"

    plain, streamed = captured(lynex_client, gateway, validator, count=2)
    assert plain["tokens"]["input"] == 150
    assert streamed["tokens"] == {"input": 20, "output": 7, "cached": 8}


async def test_anthropic_async_error(providers, lynex_client, gateway, validator):
    async with anthropic.AsyncAnthropic(api_key="sk-ant", base_url=providers.url, max_retries=0) as client:
        with pytest.raises(anthropic.InternalServerError):
            await client.messages.create(model="claude-x-529", max_tokens=8, messages=MESSAGES[1:])

    (body,) = captured(lynex_client, gateway, validator)
    assert body["status"] == "error"
    assert body["error"]["type"] == "OverloadedError"  # a 529


# -- switches -------------------------------------------------------------------------------------


def test_capture_content_false_keeps_prompts_and_responses_out(providers, gateway, validator):
    client = lynex.init(api_key="k", endpoint=gateway.url, capture_content=False, environ={})
    with openai.OpenAI(api_key="sk-x", base_url=providers.url + "/v1", max_retries=0) as oa:
        oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    (body,) = captured(client, gateway, validator)
    assert "prompt" not in body
    assert "response" not in body
    assert body["tokens"]["input"] == 21


def test_uninstrument_restores_the_clients(providers, lynex_client, gateway):
    lynex.integrations.uninstrument()
    with openai.OpenAI(api_key="sk-x", base_url=providers.url + "/v1", max_retries=0) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert lynex_client.flush(5)
    assert gateway.requests == []
    assert not hasattr(openai.resources.chat.completions.Completions.create, "__lynex_original__")


def test_init_does_not_import_the_provider_clients_but_patches_them_on_import():
    code = """
import sys, lynex
lynex.init(api_key="k", endpoint="http://127.0.0.1:9", shutdown_timeout=0.1, environ={})
assert "openai" not in sys.modules and "anthropic" not in sys.modules
import openai, anthropic
assert hasattr(openai.resources.chat.completions.Completions.create, "__lynex_original__")
assert hasattr(anthropic.resources.messages.Messages.stream, "__lynex_original__")
assert type(openai.__spec__.loader).__name__ == "SourceFileLoader"
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYNEX_")}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
