"""Alert channel targets: metadata and other non-unicast ranges always refused, private ones by setting."""

from __future__ import annotations

import pytest

from core.egress import blocked_target
from core.notify import deliver_one


@pytest.mark.parametrize(
    "url",
    [
        "json://169.254.169.254/latest/meta-data/",
        "jsons://[fe80::1]/hook",
        "json://[::ffff:169.254.169.254]/",
        "json://0.0.0.0:8080/",
        "form://224.0.0.1/",
    ],
)
def test_metadata_link_local_and_non_unicast_targets_are_always_refused(url: str) -> None:
    assert blocked_target(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "json://127.0.0.1:8080/hook",
        "json://localhost:8080/hook",
        "jsons://10.1.2.3/hook",
        "json://192.168.1.10/",
        "json://172.16.0.5/",
        "json://[::1]:9000/",
        "json://100.64.1.1/",
        "mailto://user:pass@127.0.0.1:2525?to=ops@example.com",
    ],
)
def test_private_targets_are_allowed_unless_the_deployment_says_otherwise(url: str) -> None:
    assert blocked_target(url, allow_private=True) is None
    reason = blocked_target(url, allow_private=False)
    assert reason
    assert "LYNEX_ALERTS__ALLOW_PRIVATE_CHANNELS" in reason


@pytest.mark.parametrize(
    "url",
    [
        "json://8.8.8.8/hook",
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",  # tokens, not a host
        "json://no-such-host.invalid/hook",  # does not resolve: the delivery fails on its own
        "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
    ],
)
def test_public_token_and_unresolvable_targets_pass(url: str) -> None:
    assert blocked_target(url, allow_private=False) is None


async def test_a_delivery_to_a_refused_target_is_not_attempted_and_says_why() -> None:
    delivery = await deliver_one(
        "json://169.254.169.254/latest/meta-data/",
        "title",
        "{}",
        "info",
        attempts=3,
        backoff_s=5.0,
        timeout_s=5.0,
        allow_private=True,
    )
    assert (delivery.ok, delivery.attempts) == (False, 0)
    assert delivery.error.startswith("refused: host 169.254.169.254")
    assert delivery.seconds < 1  # no attempt, no backoff
