"""The audit log: who changed what, from what, to what, when."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kassa.core.clock import utcnow
from tests.api.support import assert_problem
from tests.conftest import Api, customer_body


def trail(api: Api, entity_type: str, entity_id: object) -> list[dict[str, Any]]:
    response = api.get(
        "/audit-log", params={"entity_type": entity_type, "entity_id": str(entity_id)}
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def user_id(api: Api, role: str) -> int:
    users = api.get("/users", params={"limit": 500}).json()["items"]
    return int(next(u["id"] for u in users if u["role"] == role))


def test_customer_changes_name_the_acting_user(api: Api) -> None:
    operator = api.as_token(api.token_for("operator"))
    operator_id = user_id(api, "operator")
    started = utcnow() - timedelta(seconds=5)
    customer = operator.post(
        "/customers", customer_body(name="Audited", credit_limit="100.00", email="a@b.example")
    ).json()
    operator.patch(f"/customers/{customer['id']}", {"name": "Audited Two", "credit_limit": "50"})
    operator.patch(f"/customers/{customer['id']}", {"name": "Audited Two"})
    operator.post(f"/customers/{customer['id']}/status", {"action": "block"})
    api.post(f"/customers/{customer['id']}/status", {"action": "unblock"})
    api.post(f"/customers/{customer['id']}/status", {"action": "close"})

    entries = trail(api, "customer", customer["id"])
    assert [e["action"] for e in entries] == ["create", "update", "block", "unblock", "close"]
    assert [e["user_id"] for e in entries] == [operator_id] * 3 + [user_id(api, "admin")] * 2
    for entry in entries:
        when = datetime.fromisoformat(entry["created_at"].replace("Z", "+00:00"))
        assert when.utcoffset() == timedelta(0)
        assert started <= when <= utcnow() + timedelta(seconds=5)

    create, update, block, unblock, close = entries
    assert create["before"] is None
    assert create["after"]["name"] == "Audited"
    assert create["after"]["currency"] == "USD"
    assert create["after"]["email"] == "a@b.example"
    assert create["after"]["status"] == "active"
    # Only what changed, before and after.
    assert update["before"] == {"name": "Audited", "credit_limit_micros": 100_000_000}
    assert update["after"] == {"name": "Audited Two", "credit_limit_micros": 50_000_000}
    assert (block["before"], block["after"]) == ({"status": "active"}, {"status": "blocked"})
    assert (unblock["before"], unblock["after"]) == ({"status": "blocked"}, {"status": "active"})
    assert (close["before"], close["after"]) == ({"status": "active"}, {"status": "closed"})


def test_refused_changes_leave_no_trace(api: Api) -> None:
    customer = api.post("/customers", customer_body()).json()
    before = trail(api, "customer", customer["id"])
    api.patch(f"/customers/{customer['id']}", {"currency": "EUR"})
    api.patch(f"/customers/{customer['id']}", {"credit_limit": "-1"})
    api.post(f"/customers/{customer['id']}/status", {"action": "unblock"})
    assert trail(api, "customer", customer["id"]) == before


def test_configuration_changes_are_audited(api: Api) -> None:
    field = api.post("/custom-fields", {"name": "vat", "label": "VAT", "type": "text"}).json()
    cls = api.post(
        "/customer-classes",
        {"name": "Audited class", "custom_fields": [{"custom_field_id": field["id"]}]},
    ).json()
    api.patch(f"/customer-classes/{cls['id']}", {"grace_period_days": 45})
    model = api.post("/business-models", {"name": "Audited model", "services": ["voice"]}).json()
    api.patch(f"/business-models/{model['id']}", {"services": ["voice", "data"]})
    api.put("/currencies/CHF", {"enabled": True})

    (class_create, class_update) = trail(api, "customer_class", cls["id"])
    assert class_create["after"]["custom_fields"] == [
        {"custom_field_id": field["id"], "mandatory": False}
    ]
    assert class_update["before"] == {"grace_period_days": 0}
    assert class_update["after"] == {"grace_period_days": 45}
    (_, model_update) = trail(api, "business_model", model["id"])
    assert model_update["after"] == {"services": ["voice", "data"]}
    (currency,) = trail(api, "currency", "CHF")
    assert currency["after"] == {"enabled": True}
    (field_create,) = trail(api, "custom_field", field["id"])
    assert field_create["after"]["name"] == "vat"


def test_users_and_tokens_are_audited_without_secrets(api: Api) -> None:
    token = api.token_for("viewer")
    viewer_id = user_id(api, "viewer")
    (created,) = trail(api, "user", viewer_id)
    assert created["after"] == {"username": created["after"]["username"], "role": "viewer"}
    entries = api.get("/audit-log", params={"entity_type": "api_token", "limit": 500}).json()
    assert entries["items"]
    assert token not in str(entries)
    assert "password" not in str(trail(api, "user", viewer_id))


def test_audit_log_pages(api: Api) -> None:
    for i in range(5):
        api.post("/customers", customer_body(name=f"Paged audit {i}"))
    first = api.get("/audit-log", params={"entity_type": "customer", "limit": 2}).json()
    second = api.get(
        "/audit-log", params={"entity_type": "customer", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert len(set(ids)) == 4
    assert_problem(api.get("/audit-log", params={"limit": 0}), 422, field="limit")


def test_money_staff_move_and_billing_runs_are_in_the_trail(api: Api) -> None:
    operator = api.as_token(api.token_for("operator"))
    customer = api.post("/customers", customer_body(credit_limit="100.00")).json()
    posted = operator.post(
        f"/customers/{customer['id']}/transactions",
        {"type": "payment", "amount": "12.50", "internal_comment": "cash at the desk"},
    )
    assert posted.status_code == 201, posted.text
    [entry] = trail(api, "transaction", posted.json()["id"])
    assert entry["action"] == "create" and entry["user_id"] == user_id(api, "operator")
    assert entry["before"] is None
    assert entry["after"] == {
        "customer_id": customer["id"],
        "type": "payment",
        "amount_micros": -12_500_000,
        "currency": "USD",
        "balance_after_micros": -12_500_000,
        "visible_comment": "",
        "internal_comment": "cash at the desk",
    }

    run = api.post("/billing-runs", {"as_of": "2026-12-01T06:00:00Z"})
    assert run.status_code == 201, run.text
    [started] = trail(api, "billing_run", run.json()["id"])
    assert started["user_id"] == user_id(api, "admin")
    assert started["after"] == {"as_of": "2026-12-01T06:00:00+00:00", "triggered_by": "api"}


def test_a_refused_transaction_leaves_no_trace(api: Api) -> None:
    customer = api.post("/customers", customer_body()).json()
    refused = api.post(
        f"/customers/{customer['id']}/transactions", {"type": "payment", "amount": "-1"}
    )
    assert refused.status_code == 422
    logged = api.get("/audit-log", params={"entity_type": "transaction", "limit": 500}).json()
    assert [e for e in logged["items"] if e["after"]["customer_id"] == customer["id"]] == []
