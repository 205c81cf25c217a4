"""What the operator commands do: ``clarion explain`` (and, with the API, ``clarion redrive``)."""

from __future__ import annotations

import json
import uuid

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import ApiError
from api.novu.explain import explain_transaction
from api.novu.redrive_planning import start_redrive
from api.novu.schemas.explain import Explanation
from api.novu.schemas.redrive import RedriveBody
from api.operations.run_histories import run_url
from api.operations.trigger_starts import send_policy
from api.resources import connect_temporal
from core.settings import Settings
from store import tenancy
from store.engine import create_engine, make_sessions


def render_explanation(data: Explanation) -> list[str]:
    """The explanation as text: the summary, then per recipient its summary and timeline."""
    lines = [f"transaction {data.transaction_id}  workflow {data.workflow_identifier}  run {data.status}",
             data.summary]
    for r in data.recipients:
        lines += ["", f"{r.subscriber_id}: {r.outcome} - {r.summary}"]
        for e in r.timeline:
            when = e.at.strftime("%H:%M:%S.%f")[:-3] if e.at else "            "
            step = f"[{e.step_id}]" if e.step_id else ""
            lines.append(f"  {when} {e.stage:<15} {e.status:<8} {step} {e.decision}".rstrip())
        lines += [f"  run: {link.role} {link.url}" for link in r.runs]
    return lines


async def _environment_id(session: AsyncSession, environment: str) -> uuid.UUID:
    envs = await tenancy.list_environments(session=session)
    matches = [e for e in envs if environment in (str(e.id), e.slug)]
    if len(matches) != 1:
        raise SystemExit(f"no single environment matches {environment!r} ({len(matches)} found)")
    return matches[0].id


async def redrive_command(
    settings: Settings, environment: str, transaction_id: str, *, subscriber_ids: list[str], channels: list[str],
    steps: list[str], include: list[str] | None = None, client: Client | None = None,
) -> list[str]:
    """Start a re-drive as the API does; the lines list what it sends again, each failed or unknown."""
    try:
        body = RedriveBody.model_validate({"subscriberIds": subscriber_ids, "channels": channels, "steps": steps,
                                           **({"include": include} if include else {})})
    except ValidationError as exc:
        raise SystemExit(str(exc)) from exc
    engine = create_engine(settings.database_url)
    try:
        async with make_sessions(engine)() as session:
            env = await _environment_id(session, environment)
            temporal = client or await connect_temporal(settings, lazy=False)
            try:
                planned = await start_redrive(
                    session=session, client=temporal, task_queue=settings.temporal.task_queue,
                    policy=send_policy(settings), environment_id=env, transaction_id=transaction_id, body=body,
                )
            except ApiError as exc:
                raise SystemExit(exc.message) from exc
    finally:
        await engine.dispose()
    if planned.workflow_id is None:
        return [f"nothing to re-drive: no delivery of {transaction_id} ended failed or unknown"]
    unknown = sum(d.state == "unknown" for d in planned.deliveries)
    return [f"re-drive {planned.workflow_id}: {len(planned.deliveries)} delivery(ies), {unknown} of them unknown",
            *(f"  {d.subscriber_id}  {d.step_id} ({d.channel})  {d.state}" for d in planned.deliveries),
            f"  {run_url(settings.temporal, planned.workflow_id)}"]


async def explain_command(
    settings: Settings, environment: str, transaction_id: str, subscriber_id: str | None, *, as_json: bool = False,
    client: Client | None = None,
) -> list[str]:
    engine = create_engine(settings.database_url)
    try:
        async with make_sessions(engine)() as session:
            env = await _environment_id(session, environment)
            temporal = client or await connect_temporal(settings, lazy=False)
            try:
                data = await explain_transaction(
                    session=session, client=temporal, temporal=settings.temporal, environment_id=env,
                    transaction_id=transaction_id, subscriber_id=subscriber_id,
                )
            except ApiError as exc:
                raise SystemExit(exc.message) from exc
    finally:
        await engine.dispose()
    if as_json:
        return [json.dumps(data.model_dump(mode="json", by_alias=True), indent=2)]
    return render_explanation(data)
