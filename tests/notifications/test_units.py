"""Signing, back-off and templates, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kassa.events.types import EVENTS
from kassa.notifications import email
from kassa.notifications.delivery import backoff
from kassa.notifications.webhooks import body_of, generate_secret, sign
from tests.notifications.servers import verify_standard_webhook

# The test vector published with the Standard Webhooks specification.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_specification_vector() -> None:
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_receiver_check_accepts_fresh_signatures_only() -> None:
    secret = generate_secret()
    now = int(datetime.now(UTC).timestamp())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(now),
        "webhook-signature": sign(secret, "msg_1", now, b"{}"),
    }
    assert verify_standard_webhook(secret, headers, b"{}")
    assert not verify_standard_webhook(secret, headers, b"{ }")
    assert not verify_standard_webhook(generate_secret(), headers, b"{}")
    stale = now - 3600
    old = {**headers, "webhook-timestamp": str(stale)}
    old["webhook-signature"] = sign(secret, "msg_1", stale, b"{}")
    assert not verify_standard_webhook(secret, old, b"{}")


def test_body_is_the_event_envelope() -> None:
    at = datetime(2026, 11, 26, 14, 0, 5, 123000, tzinfo=UTC)
    assert body_of("payment_received", at, {"amount": "5.00"}) == (
        b'{"type":"payment_received","timestamp":"2026-11-26T14:00:05.123000Z",'
        b'"data":{"amount":"5.00"}}'
    )


def test_backoff_grows_and_is_capped() -> None:
    delays = [backoff(n, 5).total_seconds() for n in range(1, 13)]
    assert delays[:5] == [5, 30, 120, 600, 3600]
    assert delays == sorted(delays)
    assert delays[-1] == delays[-2] == 12 * 3600
    assert backoff(3, 0.05) == timedelta(seconds=1.2)


@pytest.mark.parametrize("event_type", EVENTS)
def test_every_event_renders_both_parts(event_type: str) -> None:
    payload = {
        "customer_id": 1,
        "amount": "5.00",
        "currency": "EUR",
        "balance": "-5.00",
        "credit_limit": "100.00",
        "threshold_percent": "80",
        "invoice_id": 9,
        "number": "INV-9",
    }
    rendered = email.render(
        event_type,
        datetime(2026, 11, 26, 14, 0, tzinfo=UTC),
        payload,
        email.Recipient(1, "Ben & Jerry <Ltd>", "EUR"),
    )
    assert rendered.subject and "\n" not in rendered.subject
    assert "Hello Ben & Jerry <Ltd>," in rendered.text
    assert "Ben &amp; Jerry &lt;Ltd&gt;" in rendered.html
    assert "2026-11-26 14:00 UTC" in rendered.text


def test_balance_words() -> None:
    base = {"customer_id": 1, "amount": "5.00", "currency": "USD"}
    at = datetime(2026, 1, 1, tzinfo=UTC)
    who = email.Recipient(1, "A", "USD")
    in_credit = email.render("payment_received", at, {**base, "balance": "-2.50"}, who)
    owed = email.render("payment_received", at, {**base, "balance": "2.50"}, who)
    even = email.render("payment_received", at, {**base, "balance": "0.00"}, who)
    assert "2.50 USD in your favour" in in_credit.text
    assert "2.50 USD owed" in owed.text
    assert "is now 0.00 USD." in even.text


def test_a_suspension_says_what_lifts_it() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    who = email.Recipient(1, "A", "USD")
    fees = email.render(
        "customer_suspended",
        at,
        {
            "customer_id": 1,
            "suspended_for": "unpaid_fees",
            "reason": "your available funds do not cover your subscription fees",
            "amount_due": "5.00",
            "currency": "USD",
        },
        who,
    )
    overdue = email.render(
        "customer_suspended", at, {"customer_id": 1, "suspended_for": "overdue_invoice"}, who
    )
    assert "as soon as a payment covers your subscription fees" in fees.text
    assert "as soon as a payment covers your subscription fees" in fees.html
    assert "because an invoice is overdue" in overdue.text
    assert "as soon as the overdue amount is paid" in overdue.text
