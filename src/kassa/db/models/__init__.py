"""Every table, one module each. Importing this package registers them all on Base.metadata."""

from kassa.db.models.api_token import ApiToken
from kassa.db.models.app_setting import AppSetting
from kassa.db.models.audit_log import AuditLog
from kassa.db.models.business_model import BusinessModel
from kassa.db.models.currency import Currency
from kassa.db.models.custom_field import CustomField
from kassa.db.models.customer import Customer
from kassa.db.models.customer_class import CustomerClass
from kassa.db.models.customer_class_field import CustomerClassField
from kassa.db.models.ledger_entry import ENTRY_TYPES, LedgerEntry
from kassa.db.models.user import User

__all__ = [
    "ENTRY_TYPES",
    "ApiToken",
    "AppSetting",
    "AuditLog",
    "BusinessModel",
    "Currency",
    "CustomField",
    "Customer",
    "CustomerClass",
    "CustomerClassField",
    "LedgerEntry",
    "User",
]
