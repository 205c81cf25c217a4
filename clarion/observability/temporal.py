"""Temporal interceptors of the composition root: log context for every activity, and traces."""

from __future__ import annotations

from typing import Any

from temporalio import worker

from core import log_context


def _fields(arg: Any) -> dict[str, str | None]:
    """The environment, transaction and workflow of an activity's input, when it carries a trigger's
    context (step, action and recipient activities) or names an environment itself."""
    ctx = getattr(arg, "context", None)
    if ctx is not None and hasattr(ctx, "transaction_id"):
        return {log_context.ENVIRONMENT_ID: ctx.environment_id, log_context.TRANSACTION_ID: ctx.transaction_id,
                log_context.WORKFLOW: ctx.workflow.identifier}
    environment = getattr(arg, "environment_id", None)
    return {log_context.ENVIRONMENT_ID: str(environment) if environment else None}


class _ActivityLogContext(worker.ActivityInboundInterceptor):
    async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
        with log_context.scope(**(_fields(input.args[0]) if input.args else {})):
            return await self.next.execute_activity(input)


class LogContextInterceptor(worker.Interceptor):
    """Opens a log scope per activity with what its input says, so every line it logs is attributable."""

    def intercept_activity(self, next: worker.ActivityInboundInterceptor) -> worker.ActivityInboundInterceptor:
        return _ActivityLogContext(next)


def worker_interceptors() -> list[worker.Interceptor]:
    # Tracing rides on the client (TracingInterceptor is a client and a worker interceptor at once).
    return [LogContextInterceptor()]
