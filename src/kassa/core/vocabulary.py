"""Kassa's fixed word lists: entry types, statuses, balance controls, roles.

Each list is one ``StrEnum``, and every place that names its words uses it: the database's
CHECK constraints (``kassa.db.models``), the API's schemas, the CLI's choices and the web
forms' options. The lists live here, in ``kassa.core``, because the database models are the
lowest layer that needs them and may import nothing but ``kassa.core``.

The values are the strings stored in the database, sent in JSON and typed on the command line;
a member compares and hashes equal to its value, so rows read back as plain strings still match
the members. Billing period names (``kassa.core.periods.BillingPeriod``) are such a list too,
kept beside the period arithmetic they name.

In Pydantic models a :class:`Vocabulary` is validated as a ``Literal`` of its members: the
OpenAPI document lists its values inline (``{"enum": [...], "type": "string"}``) as it did
when the schemas spelled the strings out, and a wrong value is refused with the same message
("Input should be 'prepaid' or 'postpaid'"), which is why a member's ``repr`` is its value's.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema


class Vocabulary(StrEnum):
    def __repr__(self) -> str:
        return repr(self.value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.literal_schema(list(cls))


class EntryType(Vocabulary):
    """What moved a customer's balance (``ledger_entries.type``)."""

    PAYMENT = "payment"
    REFUND = "refund"
    MANUAL_CHARGE = "manual_charge"
    MANUAL_CREDIT = "manual_credit"
    PROMOTIONAL_CREDIT = "promotional_credit"
    USAGE = "usage"
    TAX = "tax"
    SUBSCRIPTION = "subscription"


# The entry types staff post by hand (the API's transactions, the CLI, the web form); usage
# comes from authorizations and usage records, tax from the billing close, subscription fees
# from the subscription engine.
TransactionType = Literal[
    EntryType.PAYMENT,
    EntryType.REFUND,
    EntryType.MANUAL_CHARGE,
    EntryType.MANUAL_CREDIT,
    EntryType.PROMOTIONAL_CREDIT,
]
TRANSACTION_TYPES: tuple[EntryType, ...] = get_args(TransactionType)


class BalanceControl(Vocabulary):
    """Prepaid customers spend funds paid in advance; postpaid ones owe up to a credit limit."""

    PREPAID = "prepaid"
    POSTPAID = "postpaid"


class CustomerStatus(Vocabulary):
    """A customer's status. The first four are stored (``customers.status``); the last two are
    only shown, for an active customer whose balance has reached its limit."""

    ACTIVE = "active"
    BLOCKED = "blocked"
    SUSPENDED = "suspended"
    CLOSED = "closed"
    CREDIT_EXCEEDED = "credit_exceeded"
    NO_AVAILABLE_FUNDS = "no_available_funds"


STORED_CUSTOMER_STATUSES = (
    CustomerStatus.ACTIVE,
    CustomerStatus.BLOCKED,
    CustomerStatus.SUSPENDED,
    CustomerStatus.CLOSED,
)


class CustomerAction(Vocabulary):
    """What staff do to a customer's status (``kassa.customers.service.TRANSITIONS``)."""

    BLOCK = "block"
    UNBLOCK = "unblock"
    CLOSE = "close"


class AuthorizationStatus(Vocabulary):
    RESERVED = "reserved"
    COMMITTED = "committed"
    RELEASED = "released"
    EXPIRED = "expired"


class AccountStatus(Vocabulary):
    """An account's status: only an active account of an active customer is authorized."""

    ACTIVE = "active"
    BLOCKED = "blocked"
    CLOSED = "closed"


class AccountAction(Vocabulary):
    """What staff do to an account's status (``kassa.accounts.service``)."""

    BLOCK = "block"
    UNBLOCK = "unblock"
    CLOSE = "close"


class FeeCharging(Vocabulary):
    """When a plan's periodic fee is posted: as its period starts, or as it closes."""

    IN_ADVANCE = "in_advance"
    IN_ARREARS = "in_arrears"


class SubscriptionStatus(Vocabulary):
    """A subscription's status, told from its dates and the time now (never stored)."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    ENDED = "ended"


class FeeKind(Vocabulary):
    """What a subscription fee (``subscription_fees.kind``) is for. ``unused`` is the credit of
    the part of an in-advance period that a cancellation cut off."""

    PERIODIC = "periodic"
    ACTIVATION = "activation"
    CANCELLATION = "cancellation"
    UNUSED = "unused"


class SuspensionReason(Vocabulary):
    """Why a suspended customer is suspended (``customers.suspended_for``)."""

    OVERDUE_INVOICE = "overdue_invoice"
    UNPAID_FEES = "unpaid_fees"


class RatingUnit(Vocabulary):
    """What a tariff counts: the network asks in these (``tariffs.unit``)."""

    SECOND = "second"
    BYTE = "byte"
    MESSAGE = "message"
    UNIT = "unit"


class InvoiceStatus(Vocabulary):
    ISSUED = "issued"
    PAID = "paid"
    OVERDUE = "overdue"


class BillingRunStatus(Vocabulary):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class BillingRunTrigger(Vocabulary):
    """What started a billing run (``billing_runs.triggered_by``)."""

    WEB = "web"
    API = "api"
    CLI = "cli"
    SCHEDULER = "scheduler"


class DeliveryChannel(Vocabulary):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryStatus(Vocabulary):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class FieldType(Vocabulary):
    """The types of custom fields."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    LIST = "list"


class Role(Vocabulary):
    """A user's role; ``kassa.auth.actor`` says what each may do."""

    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"
    SERVICE = "service"


class ThrottleScope(Vocabulary):
    """What a sign-in lock counts the failures of: one username or one client address."""

    USER = "user"
    ADDRESS = "address"
