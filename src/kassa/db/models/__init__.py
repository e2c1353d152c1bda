"""Every table, one module each. Importing this package registers them all on Base.metadata."""

from kassa.db.models.api_token import ApiToken
from kassa.db.models.app_setting import AppSetting
from kassa.db.models.audit_log import AuditLog
from kassa.db.models.authorization import AUTHORIZATION_STATUSES, Authorization
from kassa.db.models.business_model import BusinessModel
from kassa.db.models.currency import Currency
from kassa.db.models.custom_field import CustomField
from kassa.db.models.customer import Customer
from kassa.db.models.customer_class import CustomerClass
from kassa.db.models.customer_class_field import CustomerClassField
from kassa.db.models.idempotency_key import IdempotencyKey
from kassa.db.models.ledger_entry import ENTRY_TYPES, LedgerEntry
from kassa.db.models.outbox_event import OutboxEvent
from kassa.db.models.user import User

__all__ = [
    "AUTHORIZATION_STATUSES",
    "ENTRY_TYPES",
    "ApiToken",
    "AppSetting",
    "AuditLog",
    "Authorization",
    "BusinessModel",
    "Currency",
    "CustomField",
    "Customer",
    "CustomerClass",
    "CustomerClassField",
    "IdempotencyKey",
    "LedgerEntry",
    "OutboxEvent",
    "User",
]
