"""A workflow deleted under a run: one permanent failure that says so, never a retry loop on a foreign key."""

from __future__ import annotations

import uuid

import pytest
from temporalio.exceptions import ApplicationError

from activities.vanished import definitions_may_vanish
from store.engine import make_sessions
from store.models import Notification
from tests.factories import two_environments


async def test_a_deleted_workflow_fails_once_with_its_name(engine) -> None:
    sessions = make_sessions(engine)
    tenancy = await two_environments(sessions)
    with pytest.raises(ApplicationError) as caught, definitions_may_vanish():
        async with sessions() as session, session.begin():
            session.add(Notification(
                environment_id=tenancy.env_a.id, transaction_id="tx", workflow_id=uuid.uuid4(),
                workflow_identifier="gone", subscriber_id="ada", temporal_workflow_id="run",
            ))
    assert caught.value.non_retryable
    assert caught.value.type == "definition_deleted"
    assert "was deleted while this notification was running" in caught.value.message
    if engine.dialect.name == "postgresql":  # SQLite does not say which key failed
        assert caught.value.message.startswith("the workflow")


async def test_other_integrity_errors_are_left_alone(engine) -> None:
    sessions = make_sessions(engine)
    tenancy = await two_environments(sessions)
    row = {"environment_id": tenancy.env_a.id, "transaction_id": "tx", "workflow_identifier": "w",
           "subscriber_id": "ada", "temporal_workflow_id": "run"}
    async with sessions() as session, session.begin():
        session.add(Notification(**row))
    with pytest.raises(Exception) as caught, definitions_may_vanish():
        async with sessions() as session, session.begin():
            session.add(Notification(**row))  # the unique constraint, not a vanished definition
    assert not isinstance(caught.value, ApplicationError)
