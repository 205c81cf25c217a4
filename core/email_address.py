"""Subscriber email addresses, checked with email-validator (syntax per RFC 5321/5322, no DNS).

Only an address this accepts is stored, so what later reaches a ``To:`` header is one mailbox
(``"a@x.com, b@evil.test"`` or ``"Name <a@x.com>"`` is refused, not split into two recipients).
Reserved names (``localhost``, ``*.test``) are accepted: development sinks and test suites use them.
"""

from __future__ import annotations

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator

MAX_LENGTH = 320


def checked_email(value: str) -> str:
    """The normalised address (domain lower-cased, IDNA), or ValueError saying what is wrong."""
    if value == "":
        return value  # some SDKs send "" for "no email"; nothing is ever sent to it
    local, at, domain = value.rpartition("@")
    # email-validator refuses the ``localhost`` names outright; check the rest of the address as if
    # it were under ``.test`` (also reserved, and accepted in its test mode) and keep the name.
    local_name = at and (domain.lower() == "localhost" or domain.lower().endswith(".localhost"))
    probe = f"{local}@{domain[: -len('localhost')]}test" if local_name else value
    try:
        result = validate_email(probe, check_deliverability=False, globally_deliverable=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from None
    if local_name:
        return f"{result.local_part}@{domain.lower()}"
    return result.normalized


EmailAddress = Annotated[str, AfterValidator(checked_email)]
