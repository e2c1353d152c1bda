"""Reading accounts: by id, by identifier (the network's key), and the paged lists."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa.accounts.rules import MAX_IDENTIFIER_LENGTH
from kassa.accounts.schemas import AccountOut
from kassa.core.errors import NotFound, ValidationFailed
from kassa.core.ids import id_from_text
from kassa.core.pagination import check_limit
from kassa.core.vocabulary import AccountStatus
from kassa.db.models import Account
from kassa.db.pagination import paginate


def account_out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id,
        customer_id=account.customer_id,
        identifier=account.identifier,
        product_id=account.product_id,
        status=AccountStatus(account.status),
        max_sessions=account.max_sessions,
        has_password=account.password_hash is not None,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"account {account_id} does not exist", code="account_not_found")
    return account


def find_by_identifier(session: Session, identifier: str) -> Account | None:
    """The account the network names ``identifier`` (blanks around it aside), through the
    unique index; None when there is none."""
    identifier = identifier.strip()
    if not identifier or len(identifier) > MAX_IDENTIFIER_LENGTH:
        return None
    return session.scalar(select(Account).where(Account.identifier == identifier))


def account_by_reference(session: Session, reference: str) -> Account:
    """The account ``reference`` names: its identifier, or else its id. An identifier wins,
    since a login may be all digits."""
    found = find_by_identifier(session, reference)
    if found is not None:
        return found
    account_id = id_from_text(reference)
    account = session.get(Account, account_id) if account_id is not None else None
    if account is None:
        raise NotFound(
            f"no account has the identifier or id '{reference.strip()}'",
            code="account_not_found",
        )
    return account


def list_accounts(
    session: Session,
    *,
    customer_id: int | None = None,
    identifier: str | None = None,
    status: str | None = None,
    product_id: int | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[Account], str | None]:
    """Accounts in id order, narrowed by each filter given. An identifier is an exact match:
    a page of at most one account, read through the unique index."""
    limit = check_limit(limit)
    if status is not None and status not in tuple(AccountStatus):
        raise ValidationFailed.field("status", f"must be one of {', '.join(AccountStatus)}")
    if identifier is not None:
        found = find_by_identifier(session, identifier)
        if found is None or not _matches(found, customer_id, status, product_id):
            return [], None
        return [found], None
    stmt = select(Account)
    if customer_id is not None:
        stmt = stmt.where(Account.customer_id == customer_id)
    if status is not None:
        stmt = stmt.where(Account.status == status)
    if product_id is not None:
        stmt = stmt.where(Account.product_id == product_id)
    return paginate(session, stmt, Account.id, limit=limit, cursor=cursor)


def _matches(
    account: Account, customer_id: int | None, status: str | None, product_id: int | None
) -> bool:
    return (
        (customer_id is None or account.customer_id == customer_id)
        and (status is None or account.status == status)
        and (product_id is None or account.product_id == product_id)
    )
