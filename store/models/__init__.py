"""Every table of Clarion; importing this package registers them all on ``Base.metadata``."""

from store.models.activity import ExecutionDetail, Job, Message, Notification
from store.models.idempotency import IdempotencyRecord
from store.models.integrations import Integration
from store.models.recipients import Subscriber, SubscriberPreference, Tenant, Topic, TopicSubscriber
from store.models.sessions import SessionToken
from store.models.tenancy import ApiKey, Environment, Organization, Project
from store.models.workflows import NotificationWorkflow

__all__ = [
    "ApiKey",
    "Environment",
    "ExecutionDetail",
    "IdempotencyRecord",
    "Integration",
    "Job",
    "Message",
    "Notification",
    "NotificationWorkflow",
    "Organization",
    "Project",
    "SessionToken",
    "Subscriber",
    "SubscriberPreference",
    "Tenant",
    "Topic",
    "TopicSubscriber",
]
