"""Structured logs: one JSON object a line in production, readable text in dev, both carrying the
request id, trace id, environment, transaction, subscriber and workflow in force (core.log_context)."""

from __future__ import annotations

import logging
import re
import sys
from typing import IO, Any

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter
from temporalio import activity, workflow

from core import log_context
from core.settings import Settings

CONTEXT_FIELDS = (log_context.REQUEST_ID, "traceId", log_context.ENVIRONMENT_ID, log_context.TRANSACTION_ID,
                  log_context.SUBSCRIBER_ID, log_context.WORKFLOW, "temporalWorkflowId", "activity")
# Whatever a library chooses to log, these never reach the output: API keys and bearer tokens in
# headers, ``access_token`` query parameters, passwords in URLs (user:password@host).
SECRETS = re.compile(
    r"(?P<a>\b(?:ApiKey|Bearer|Key|Basic)\s+)[^\s'\",]+"
    r"|(?P<b>(?i:access_token|token|password|secret|api_key|apikey)=)[^&\s'\",]+"
    r"|(?P<c>://[^/\s:@]+:)[^@\s/]+(?=@)"
)
# httpx logs every request URL at INFO; a chat or webhook URL is itself a credential.
QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "aiosqlite": logging.INFO,
         "asyncio": logging.INFO}


def redact(text: str) -> str:
    return SECRETS.sub(lambda m: (m.group("a") or m.group("b") or m.group("c")) + "[redacted]", text)


class ContextFilter(logging.Filter):
    """Stamps each record with the fields in force: the request's or activity's, and the trace id."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields: dict[str, Any] = dict(log_context.current())
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            fields["traceId"] = format(span.trace_id, "032x")
        if activity.in_activity():
            info = activity.info()
            fields.setdefault("temporalWorkflowId", info.workflow_id)
            fields.setdefault("activity", info.activity_type)
        elif workflow.in_workflow():
            fields.setdefault("temporalWorkflowId", workflow.info().workflow_id)
        for name in CONTEXT_FIELDS:
            if fields.get(name):
                setattr(record, name, fields[name])
        return True


class RedactingJsonFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class TextFormatter(logging.Formatter):
    """``time level logger: message  key=value ...`` with only the context fields that are set."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{k}={getattr(record, k)}" for k in CONTEXT_FIELDS if getattr(record, k, None))
        return redact(f"{line}  {extras}" if extras else line)


def log_format(settings: Settings) -> str:
    chosen = settings.observability.log_format
    return ("text" if settings.mode == "dev" else "json") if chosen == "auto" else chosen


def make_handler(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    if log_format(settings) == "json":
        handler.setFormatter(RedactingJsonFormatter(
            "{asctime}{levelname}{name}{message}", style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        ))
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


def setup_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every logger (uvicorn's and the Temporal SDK's included) through one handler on the root."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    handler = make_handler(settings, stream)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(max(level, root.level))
    return handler
