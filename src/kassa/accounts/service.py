"""Creating and changing accounts. Every edit takes its customer's row first (the lock order
of kassa.ledger.locks), so a customer closing and its accounts changing queue one behind the
other. Passwords arrive hashed: the adapters hash them off the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.accounts.queries import get_account
from kassa.accounts.rules import check_max_sessions, check_password, clean_identifier
from kassa.accounts.schemas import AccountIn, AccountPatch
from kassa.auth import audit
from kassa.auth.actor import Actor
from kassa.core.clock import utcnow
from kassa.core.errors import Conflict, FieldError, FieldErrors, ValidationFailed
from kassa.core.vocabulary import AccountAction, AccountStatus, CustomerStatus
from kassa.db.models import Account, Customer, Product
from kassa.db.unique import flush_or_conflict
from kassa.ledger.locks import lock_customer_to_edit

TRANSITIONS: dict[str, tuple[tuple[AccountStatus, ...], AccountStatus]] = {
    AccountAction.BLOCK: ((AccountStatus.ACTIVE,), AccountStatus.BLOCKED),
    AccountAction.UNBLOCK: ((AccountStatus.BLOCKED,), AccountStatus.ACTIVE),
    AccountAction.CLOSE: ((AccountStatus.ACTIVE, AccountStatus.BLOCKED), AccountStatus.CLOSED),
}


def snapshot(account: Account) -> dict[str, Any]:
    return {
        "customer_id": account.customer_id,
        "identifier": account.identifier,
        "product_id": account.product_id,
        "status": account.status,
        "max_sessions": account.max_sessions,
        # Whether there is one, never the hash.
        "has_password": account.password_hash is not None,
    }


def _identifier_taken(identifier: str) -> Conflict:
    message = f"an account with identifier '{identifier}' already exists"
    return Conflict(
        message,
        code="account_identifier_taken",
        errors=[FieldError("identifier", message)],
    )


def check_new_account(data: AccountIn) -> None:
    """Every fault of the fields alone, at once: before the password is hashed."""
    errors = FieldErrors()
    clean_identifier(data.identifier, errors)
    check_password(data.password, errors)
    check_max_sessions(data.max_sessions, errors)
    errors.raise_if_any()


def check_account_patch(patch: AccountPatch) -> None:
    errors = FieldErrors()
    values = patch.model_dump(exclude_unset=True)
    if "identifier" in values:
        clean_identifier(values["identifier"], errors)
    if "product_id" in values and values["product_id"] is None:
        errors.add("product_id", "must not be empty")
    check_password(values.get("password"), errors)
    check_max_sessions(values.get("max_sessions"), errors)
    errors.raise_if_any()


def _check_product(session: Session, product_id: int, currency: str, errors: FieldErrors) -> None:
    product = session.get(Product, product_id)
    if product is None:
        errors.add("product_id", f"product {product_id} does not exist")
    elif product.currency != currency:
        errors.add(
            "product_id",
            f"product '{product.name}' is priced in {product.currency}, "
            f"the customer is charged in {currency}",
        )


def _check_identifier_free(
    session: Session, identifier: str, exclude_id: int | None = None
) -> None:
    clash = select(Account.id).where(Account.identifier == identifier)
    if exclude_id is not None:
        clash = clash.where(Account.id != exclude_id)
    if session.scalar(clash) is not None:
        raise _identifier_taken(identifier)


def _open_customer(session: Session, customer_id: int) -> Customer:
    customer = lock_customer_to_edit(session, customer_id)
    if customer.status == CustomerStatus.CLOSED:
        raise Conflict(f"customer {customer.id} is closed", code="customer_closed")
    return customer


def create_account(
    session: Session,
    actor: Actor,
    customer_id: int,
    data: AccountIn,
    *,
    password_hash: str | None = None,
) -> Account:
    """A new active account of the customer; ``password_hash`` is the hash of
    ``data.password``, which :func:`check_new_account` passed."""
    if (data.password is None) != (password_hash is None):
        raise ValueError("a password is stored as its hash: give both or neither")
    errors = FieldErrors()
    identifier = clean_identifier(data.identifier, errors)
    check_password(data.password, errors)
    check_max_sessions(data.max_sessions, errors)
    customer = _open_customer(session, customer_id)
    _check_product(session, data.product_id, customer.currency, errors)
    errors.raise_if_any()
    _check_identifier_free(session, identifier)
    now = utcnow()
    account = Account(
        customer_id=customer.id,
        identifier=identifier,
        product_id=data.product_id,
        status=AccountStatus.ACTIVE,
        max_sessions=data.max_sessions,
        password_hash=password_hash,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    flush_or_conflict(session, _identifier_taken(identifier))
    audit.record(session, actor, "create", "account", account.id, after=snapshot(account))
    return account


def _lock_account(session: Session, account_id: int) -> tuple[Account, Customer]:
    """The account and its customer, the customer's row locked, the account read after."""
    account = get_account(session, account_id)
    customer = lock_customer_to_edit(session, account.customer_id)
    session.refresh(account)
    return account, customer


def update_account(
    session: Session,
    actor: Actor,
    account_id: int,
    patch: AccountPatch,
    *,
    password_hash: str | None = None,
) -> Account:
    """Change the fields ``patch`` sets. A password given is stored as ``password_hash``;
    one of null clears it."""
    values = patch.model_dump(exclude_unset=True)
    if (values.get("password") is None) != (password_hash is None):
        raise ValueError("a password is stored as its hash: give both or neither")
    check_account_patch(patch)
    account, customer = _lock_account(session, account_id)
    if account.status == AccountStatus.CLOSED:
        raise Conflict(f"account {account.id} is closed", code="account_closed")
    if customer.status == CustomerStatus.CLOSED:
        raise Conflict(f"customer {customer.id} is closed", code="customer_closed")
    before = snapshot(account)
    errors = FieldErrors()
    if values.get("product_id") is not None and values["product_id"] != account.product_id:
        _check_product(session, values["product_id"], customer.currency, errors)
    errors.raise_if_any()
    identifier = account.identifier
    if "identifier" in values:
        identifier = clean_identifier(values["identifier"], errors)
        if identifier != account.identifier:
            _check_identifier_free(session, identifier, account.id)
    account.identifier = identifier
    if values.get("product_id") is not None:
        account.product_id = values["product_id"]
    if "max_sessions" in values:
        account.max_sessions = values["max_sessions"]
    after_extra: dict[str, Any] = {}
    if "password" in values:
        account.password_hash = password_hash
        if password_hash is not None:
            # A new password over an old one changes no other field the trail shows.
            before["password_changed"] = False
            after_extra["password_changed"] = True
    after = snapshot(account) | after_extra
    if after != before:
        account.updated_at = utcnow()
        flush_or_conflict(session, _identifier_taken(identifier))
        audit.record(session, actor, "update", "account", account.id, before=before, after=after)
    return account


def change_status(session: Session, actor: Actor, account_id: int, action: str) -> Account:
    """Block (active to blocked), unblock (blocked to active) or close (for good). A closed
    customer's accounts may still be closed, nothing else."""
    if action not in TRANSITIONS:
        raise ValidationFailed.field("action", f"must be one of {', '.join(AccountAction)}")
    allowed_from, target = TRANSITIONS[action]
    account, customer = _lock_account(session, account_id)
    if account.status not in allowed_from:
        raise Conflict(
            f"cannot {action} account {account.id}: it is {account.status}",
            code="invalid_status_transition",
        )
    if customer.status == CustomerStatus.CLOSED and action != AccountAction.CLOSE:
        raise Conflict(f"customer {customer.id} is closed", code="customer_closed")
    before = {"status": account.status}
    account.status = target
    account.updated_at = utcnow()
    session.flush()
    audit.record(
        session, actor, action, "account", account.id, before=before, after={"status": target}
    )
    return account
