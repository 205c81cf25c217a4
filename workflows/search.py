"""Clarion's custom search attributes, so the Temporal UI finds runs by what operators know."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

TRANSACTION_ID = SearchAttributeKey.for_keyword("TransactionId")
SUBSCRIBER_ID = SearchAttributeKey.for_keyword_list("SubscriberId")
WORKFLOW_IDENTIFIER = SearchAttributeKey.for_keyword("WorkflowIdentifier")
TENANT_ID = SearchAttributeKey.for_keyword("TenantId")
ENVIRONMENT_ID = SearchAttributeKey.for_keyword("EnvironmentId")

ALL = (TRANSACTION_ID, SUBSCRIBER_ID, WORKFLOW_IDENTIFIER, TENANT_ID, ENVIRONMENT_ID)


def dev_server_flags() -> list[str]:
    """``--search-attribute`` flags that register every key on a dev server at start."""
    flags: list[str] = []
    for key, kind in ((TRANSACTION_ID, "Keyword"), (SUBSCRIBER_ID, "KeywordList"),
                      (WORKFLOW_IDENTIFIER, "Keyword"), (TENANT_ID, "Keyword"), (ENVIRONMENT_ID, "Keyword")):
        flags += ["--search-attribute", f"{key.name}={kind}"]
    return flags
