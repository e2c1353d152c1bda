"""kassa.core.vocabulary: one enum per word list, read by the API as the plain strings were."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError

from kassa.core.vocabulary import (
    STORED_CUSTOMER_STATUSES,
    TRANSACTION_TYPES,
    BalanceControl,
    CustomerStatus,
    EntryType,
    TransactionType,
)
from kassa.db.base import one_of
from kassa.ledger.entries import ENTRY_SIGNS


class Body(BaseModel):
    balance_control: BalanceControl
    type: TransactionType
    status: CustomerStatus | None = None


def test_members_are_their_stored_strings() -> None:
    assert BalanceControl.PREPAID == "prepaid"
    assert {"prepaid": 1}[BalanceControl.PREPAID] == 1
    assert f"{EntryType.MANUAL_CHARGE}" == "manual_charge"
    assert repr(EntryType.TAX) == "'tax'"
    assert json.dumps({"to": CustomerStatus.ACTIVE}) == '{"to": "active"}'


def test_every_entry_type_has_a_sign_and_staff_post_only_some() -> None:
    assert set(ENTRY_SIGNS) == set(EntryType)
    assert set(TRANSACTION_TYPES) == set(EntryType) - {
        EntryType.USAGE,
        EntryType.TAX,
        EntryType.SUBSCRIPTION,
    }
    assert tuple(CustomerStatus)[:4] == STORED_CUSTOMER_STATUSES


def test_the_check_constraints_spell_the_values_in_order() -> None:
    assert one_of("balance_control", BalanceControl) == (
        "balance_control IN ('prepaid', 'postpaid')"
    )
    assert one_of("status", STORED_CUSTOMER_STATUSES) == (
        "status IN ('active', 'blocked', 'suspended', 'closed')"
    )


def test_pydantic_reads_and_writes_the_values() -> None:
    body = Body.model_validate_json('{"balance_control": "postpaid", "type": "refund"}')
    assert body.balance_control is BalanceControl.POSTPAID
    assert body.type is EntryType.REFUND
    assert body.model_dump_json() == (
        '{"balance_control":"postpaid","type":"refund","status":null}'
    )


def test_the_schema_lists_the_values_inline() -> None:
    properties = Body.model_json_schema()["properties"]
    assert properties["balance_control"] == {
        "enum": ["prepaid", "postpaid"],
        "title": "Balance Control",
        "type": "string",
    }
    assert properties["type"]["enum"] == [t.value for t in TRANSACTION_TYPES]
    assert "$defs" not in Body.model_json_schema()


def test_a_wrong_value_is_named_as_before() -> None:
    with pytest.raises(ValidationError) as caught:
        Body.model_validate({"balance_control": "credit", "type": "usage"})
    messages = [error["msg"] for error in caught.value.errors()]
    assert messages == [
        "Input should be 'prepaid' or 'postpaid'",
        "Input should be 'payment', 'refund', 'manual_charge', 'manual_credit' or "
        "'promotional_credit'",
    ]
