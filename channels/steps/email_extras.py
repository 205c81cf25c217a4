"""What a Novu trigger adds to an email: ``overrides.email`` and ``payload.attachments``, as Novu applies them.

- ``overrides.email.to`` adds addresses to the subscriber's (duplicates dropped); ``cc`` and ``bcc``
  set the copies; ``from``, ``senderName`` and ``replyTo`` replace the integration's sender for this
  trigger (``senderName`` alone keeps the integration's address). ``integrationIdentifier`` picks the
  integration (``activities.providers``).
- ``payload.attachments`` items are ``{file: base64, name, mime}``; an item whose ``channels`` list
  leaves out ``email`` is not attached.

``check`` is what the API runs when the event arrives (a bad entry is a 400 naming it); ``apply``
is what the send step runs on the built message.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from channels.messages import Attachment, EmailMessage

MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_TOTAL_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ADDRESSES = 50
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
_MIME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$")
_LIST_FIELDS = ("to", "cc", "bcc")


def _addresses(value: Any, field: str, problems: dict[str, str]) -> None:
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_ADDRESSES:
        problems[field] = f"at most {MAX_ADDRESSES} addresses"
    for i, item in enumerate(items):
        if not isinstance(item, str) or not _ADDRESS.match(item):
            problems[f"{field}[{i}]" if isinstance(value, list) else field] = "is not an email address"


def _attachment_bytes(item: Any, field: str, problems: dict[str, str]) -> int:
    if not isinstance(item, Mapping):
        problems[field] = "must be an object {file, name, mime}"
        return 0
    name, mime, data = item.get("name"), item.get("mime", "application/octet-stream"), item.get("file")
    if not isinstance(name, str) or not 0 < len(name) <= 255 or any(c in name for c in "\r\n\\/\x00"):
        problems[f"{field}.name"] = "must be a file name of 1 to 255 characters, without / \\ or line breaks"
    if not isinstance(mime, str) or not _MIME.match(mime):
        problems[f"{field}.mime"] = "must be a MIME type such as application/pdf"
    if not isinstance(data, str):
        problems[f"{field}.file"] = "must be the file's content in base64"
        return 0
    try:
        size = len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        problems[f"{field}.file"] = "is not valid base64"
        return 0
    if size > MAX_ATTACHMENT_BYTES:
        problems[f"{field}.file"] = f"is larger than {MAX_ATTACHMENT_BYTES} bytes"
    return size


def _for_email(item: Any) -> bool:
    channels = item.get("channels") if isinstance(item, Mapping) else None
    return not isinstance(channels, list) or "email" in channels


def check(payload: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, str]:
    """Problems of a trigger's email overrides and attachments, by field path; empty when fine."""
    problems: dict[str, str] = {}
    email = overrides.get("email")
    if email is not None and not isinstance(email, Mapping):
        problems["overrides.email"] = "must be an object"
    elif email:
        for name in _LIST_FIELDS:
            if email.get(name) is not None:
                _addresses(email[name], f"overrides.email.{name}", problems)
        for name in ("from", "replyTo"):
            if email.get(name) is not None:
                _addresses(email[name], f"overrides.email.{name}", problems)
        sender = email.get("senderName")
        if sender is not None and (not isinstance(sender, str) or "\n" in sender or "\r" in sender):
            problems["overrides.email.senderName"] = "must be a single line of text"
    attachments = payload.get("attachments")
    if attachments is None:
        return problems
    if not isinstance(attachments, list):
        problems["payload.attachments"] = "must be a list of {file, name, mime}"
        return problems
    if len(attachments) > MAX_ATTACHMENTS:
        problems["payload.attachments"] = f"at most {MAX_ATTACHMENTS} attachments"
    total = sum(_attachment_bytes(item, f"payload.attachments[{i}]", problems) for i, item in enumerate(attachments))
    if total > MAX_TOTAL_ATTACHMENT_BYTES:
        problems["payload.attachments"] = f"the attachments are larger than {MAX_TOTAL_ATTACHMENT_BYTES} bytes together"
    return problems


def _list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)]


def apply(message: EmailMessage, *, overrides: Mapping[str, Any], payload: Mapping[str, Any]) -> EmailMessage:
    """The message with the trigger's email overrides and attachments (both checked when the event arrived)."""
    email = overrides.get("email")
    email = email if isinstance(email, Mapping) else {}
    update: dict[str, Any] = {}
    if email.get("to"):
        update["to"] = list(dict.fromkeys([*message.to, *_list(email["to"])]))
    for name in ("cc", "bcc"):
        if email.get(name):
            update[name] = _list(email[name])
    if isinstance(email.get("from"), str):
        update["from_address"] = email["from"]
    if isinstance(email.get("senderName"), str):
        update["from_name"] = email["senderName"]
    if isinstance(email.get("replyTo"), str):
        update["reply_to"] = email["replyTo"]
    attachments = payload.get("attachments")
    if isinstance(attachments, list):
        update["attachments"] = [*message.attachments, *(
            Attachment(filename=item["name"], content_base64=item["file"],
                       mime_type=item.get("mime") or "application/octet-stream")
            for item in attachments if isinstance(item, Mapping) and _for_email(item)
        )]
    return message.model_copy(update=update) if update else message
