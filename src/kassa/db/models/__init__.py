"""Every table, one module each. Importing this package registers them all on Base.metadata."""

from kassa.db.models.account import Account
from kassa.db.models.api_token import ApiToken
from kassa.db.models.app_setting import AppSetting
from kassa.db.models.audit_log import AuditLog
from kassa.db.models.authorization import Authorization
from kassa.db.models.billing_period import BillingPeriod
from kassa.db.models.billing_run import BillingRun
from kassa.db.models.business_model import BusinessModel
from kassa.db.models.credit_note import CreditNote
from kassa.db.models.credit_note_document import CreditNoteDocument
from kassa.db.models.credit_note_line import CreditNoteLine
from kassa.db.models.currency import Currency
from kassa.db.models.custom_field import CustomField
from kassa.db.models.customer import Customer
from kassa.db.models.customer_class import CustomerClass
from kassa.db.models.customer_class_field import CustomerClassField
from kassa.db.models.idempotency_key import IdempotencyKey
from kassa.db.models.invoice import Invoice
from kassa.db.models.invoice_counter import InvoiceCounter
from kassa.db.models.invoice_document import InvoiceDocument
from kassa.db.models.invoice_line import InvoiceLine
from kassa.db.models.ledger_entry import LedgerEntry
from kassa.db.models.login_throttle import LoginThrottle
from kassa.db.models.notification_delivery import NotificationDelivery
from kassa.db.models.outbox_event import OutboxEvent
from kassa.db.models.product import Product
from kassa.db.models.product_rating import ProductRating
from kassa.db.models.rate import Rate
from kassa.db.models.subscription import Subscription
from kassa.db.models.subscription_fee import SubscriptionFee
from kassa.db.models.subscription_plan import SubscriptionPlan
from kassa.db.models.subscription_plan_fee import SubscriptionPlanFee
from kassa.db.models.tariff import Tariff
from kassa.db.models.user import User
from kassa.db.models.web_session import WebSession
from kassa.db.models.webhook_endpoint import WebhookEndpoint

__all__ = [
    "Account",
    "ApiToken",
    "AppSetting",
    "AuditLog",
    "Authorization",
    "BillingPeriod",
    "BillingRun",
    "BusinessModel",
    "CreditNote",
    "CreditNoteDocument",
    "CreditNoteLine",
    "Currency",
    "CustomField",
    "Customer",
    "CustomerClass",
    "CustomerClassField",
    "IdempotencyKey",
    "Invoice",
    "InvoiceCounter",
    "InvoiceDocument",
    "InvoiceLine",
    "LedgerEntry",
    "LoginThrottle",
    "NotificationDelivery",
    "OutboxEvent",
    "Product",
    "ProductRating",
    "Rate",
    "Subscription",
    "SubscriptionFee",
    "SubscriptionPlan",
    "SubscriptionPlanFee",
    "Tariff",
    "User",
    "WebSession",
    "WebhookEndpoint",
]
