"""A SIGKILLed ``clarion worker`` during a burst of lifecycle events loses none and duplicates none."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from temporalio.testing import WorkflowEnvironment

from store.engine import create_engine
from store.migrate import upgrade
from store.models import Message, Notification
from tests.delivery.conftest import Keys, Receiver
from tests.pipeline.conftest import Mailbox
from tests.qala.conftest import open_qala, until

pytestmark = pytest.mark.slow
BURST = 20


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "clarion", "worker"], env=env, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


async def test_killed_worker_loses_and_duplicates_no_lifecycle_event(
    tmp_path: Path, temporal_env: WorkflowEnvironment, smtp: tuple[Mailbox, int], receiver: Receiver, keys: Keys
) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'clarion.db'}"
    engine = create_engine(db_url)
    await upgrade(engine)
    receiver.per_webhook_id = [500, 200]  # every delivery is mid-schedule when the worker dies
    first = second = None
    try:
        async with open_qala(engine, temporal_env, smtp, waits=[3.0] * 9, worker=False) as q:
            env = {**os.environ, "CLARION_MODE": "dev", "CLARION_DATABASE__URL": db_url,
                   "CLARION_TEMPORAL__ADDRESS": temporal_env.client.service_client.config.target_host,
                   "CLARION_TEMPORAL__TASK_QUEUE": q.pipeline.settings.temporal.task_queue}
            first = start_worker(env, tmp_path / "worker-1.log")
            http, headers = q.pipeline.client, q.pipeline.headers
            created = await http.post("/v1/integrations", headers=headers, json={
                "providerId": "sendgrid", "credentials": {"api_key": "k", "from_address": "a@clarion.example",
                                                          "webhook_verification_key": keys.sendgrid_public}})
            assert created.status_code == 201, created.text
            endpoint = await http.post("/v1/webhooks/endpoints", headers=headers,
                                       json={"url": f"{receiver.url}/crash", "eventTypes": ["message.delivered"]})
            assert endpoint.status_code == 201, endpoint.text
            async with q.pipeline.sessions() as session, session.begin():
                n = Notification(environment_id=q.env, transaction_id="burst", workflow_identifier="w",
                                 subscriber_id="ada", temporal_workflow_id="t")
                session.add(n)
                await session.flush()
                session.add_all(Message(environment_id=q.env, idempotency_key=f"burst:{i}", notification_id=n.id,
                                        subscriber_id="ada", transaction_id="burst", channel="email", step_id="mail",
                                        provider_id="sendgrid", provider_message_id=f"sg-{i}", status="sent")
                                for i in range(BURST))
            now = int(time.time())
            body = json.dumps([{"event": "delivered", "sg_message_id": f"sg-{i}.filter0", "timestamp": now,
                                "sg_event_id": uuid.uuid4().hex} for i in range(BURST)]).encode()
            signature = keys.sendgrid.sign(str(now).encode() + body, ec.ECDSA(hashes.SHA256()))
            posted = await http.post(
                f"/v1/webhooks/providers/{created.json()['data']['_id']}", content=body,
                headers={"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
                         "X-Twilio-Email-Event-Webhook-Timestamp": str(now)})
            assert posted.status_code == 200 and posted.json()["data"]["applied"] == BURST, posted.text
            await until(lambda: len(receiver.at("/crash")) >= BURST, timeout=60)
            first.send_signal(signal.SIGKILL)
            first.wait()
            second = start_worker(env, tmp_path / "worker-2.log")
            path = f"/v1/webhooks/endpoints/{endpoint.json()['data']['_id']}/deliveries?status=succeeded&limit=100"

            async def all_succeeded() -> bool:
                page = await http.get(path, headers=headers)
                return len(page.json()["data"]) == BURST

            await until(all_succeeded, timeout=120)
            successes = Counter(r.headers["webhook-id"] for r in receiver.at("/crash") if r.status == 200)
            assert len(successes) == BURST and set(successes.values()) == {1}
            ids_by_event: dict[str, set[str]] = {}
            for r in receiver.at("/crash"):
                ids_by_event.setdefault(r.json()["id"], set()).add(r.headers["webhook-id"])
            assert len(ids_by_event) == BURST and all(len(v) == 1 for v in ids_by_event.values())
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
        await engine.dispose()
