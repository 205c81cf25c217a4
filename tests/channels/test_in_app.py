from __future__ import annotations

import pytest

from channels import InAppMessage, PermanentDeliveryError, ProviderContext
from channels.in_app import InAppConfig, InAppProvider


async def test_without_a_sink_is_permanent() -> None:
    provider = InAppProvider(InAppConfig())
    with pytest.raises(PermanentDeliveryError, match="in_app_sink"):
        await provider.send(InAppMessage(subscriber_id="s", content="c"), idempotency_key="k")
    assert not (await provider.check()).ok


async def test_sink_receives_the_idempotency_key() -> None:
    calls: list[str] = []

    async def sink(message: InAppMessage, *, idempotency_key: str) -> str:
        calls.append(idempotency_key)
        return "m-" + message.subscriber_id

    provider = InAppProvider(InAppConfig(), context=ProviderContext(in_app_sink=sink))
    result = await provider.send(InAppMessage(subscriber_id="s1", content="c"), idempotency_key="k9")
    assert (result.provider_message_id, calls) == ("m-s1", ["k9"])
    assert (await provider.check()).ok
