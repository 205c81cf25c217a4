"""Every table of Clarion; importing this package registers them all on ``Base.metadata``."""

from store.models.actions import ActionLock, CancelledTransaction, DigestEntry, ThrottleClaim
from store.models.activity import ExecutionDetail, Job, Message, Notification
from store.models.claims import TransactionClaim
from store.models.content import Layout, TenantWorkflowOverride, Translation, TranslationSettings
from store.models.delivery import ProviderEvent, SendRateBucket
from store.models.idempotency import IdempotencyRecord
from store.models.integrations import Integration
from store.models.publishing import (
    Occurrence,
    PublishedEvent,
    SubscriberGroup,
    UnstartedEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from store.models.realtime import RealtimeOutbox, WsClient
from store.models.recipients import Subscriber, SubscriberPreference, Tenant, Topic, TopicSubscriber
from store.models.sessions import SessionToken
from store.models.streams import StreamMessage, StreamTopic
from store.models.tenancy import ApiKey, Environment, Organization, Project
from store.models.versions import WorkflowVersion
from store.models.workflows import NotificationWorkflow

__all__ = [
    "ActionLock",
    "ApiKey",
    "CancelledTransaction",
    "DigestEntry",
    "Environment",
    "ExecutionDetail",
    "IdempotencyRecord",
    "Integration",
    "Job",
    "Layout",
    "Message",
    "Notification",
    "NotificationWorkflow",
    "Occurrence",
    "Organization",
    "Project",
    "ProviderEvent",
    "PublishedEvent",
    "RealtimeOutbox",
    "SendRateBucket",
    "SessionToken",
    "StreamMessage",
    "StreamTopic",
    "Subscriber",
    "SubscriberGroup",
    "SubscriberPreference",
    "Tenant",
    "TenantWorkflowOverride",
    "ThrottleClaim",
    "Topic",
    "TopicSubscriber",
    "TransactionClaim",
    "Translation",
    "TranslationSettings",
    "UnstartedEvent",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "WorkflowVersion",
    "WsClient",
]
