"""Invoice documents: HTML from the class's template, a PDF made once and kept."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kassa.app import create_app
from kassa.billing import documents
from kassa.billing.queries import get_invoice
from kassa.core.clock import utcnow
from kassa.core.errors import NotFound
from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.db.models import InvoiceDocument
from tests.conftest import Api, customer_body

# Past the end of a customer's first periods, whenever they were created; within the horizon.
LATER = (utcnow() + timedelta(days=70)).isoformat()
OPERATOR_TEMPLATE = """<!doctype html>
<html><body>
<h1 class="operator-template">Statement {{ invoice.number }}</h1>
<p id="who">{{ customer.name }}</p>
<ul>{% for line in lines %}
<li>{{ line.description }}: {{ line.amount | money }}</li>
{% endfor %}</ul>
<p id="due">{{ invoice.amount_due | money }} {{ invoice.currency }}
by {{ invoice.due_date | day }}</p>
</body></html>
"""
EXTENDING_TEMPLATE = """{% extends "kassa/standard.html" %}
{% block footer %}<footer id="custom-footer">Thank you, {{ customer.name }}!</footer>{% endblock %}
"""


def _class(api: Api, name: str, **fields: object) -> int:
    response = api.post("/customer-classes", {"name": name, **fields})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _post(api: Api, customer: int, kind: str, amount: str) -> None:
    response = api.post(f"/customers/{customer}/transactions", {"type": kind, "amount": amount})
    assert response.status_code == 201, response.text


def _usage(api: Api, customer: int, service: str, amount: str) -> None:
    auth = api.post(
        f"/customers/{customer}/authorizations", {"amount": amount, "service": service}
    ).json()
    assert api.post(f"/authorizations/{auth['id']}/commit", {"amount": amount}).status_code == 200


def _invoice_of(api: Api, customer: int) -> int:
    run = api.post("/billing-runs", {"as_of": LATER})
    assert run.status_code == 201, run.text
    listed = api.get(f"/customers/{customer}/invoices").json()["items"]
    return int(min(item["id"] for item in listed))


def _taxed_customer(api: Api, name: str = "Acme <b>Ltd</b> & Co") -> int:
    field = api.post("/custom-fields", {"name": "tax_code", "label": "Tax code", "type": "text"})
    assert field.status_code == 201, field.text
    vat = _class(
        api,
        "VAT payers",
        grace_period_days=14,
        taxation={"inclusive": False, "taxes": [{"name": "VAT", "rate": "21"}]},
        custom_fields=[{"custom_field_id": field.json()["id"], "mandatory": True}],
    )
    response = api.post(
        "/customers",
        customer_body(
            name=name,
            customer_class_id=vat,
            business_model_id=7,
            billing_timezone="Europe/Prague",
            credit_limit=None,
            custom_data={"tax_code": "CZ12345678"},
        ),
    )
    assert response.status_code == 201, response.text
    customer = int(response.json()["id"])
    _usage(api, customer, "voice", "10.004")
    _usage(api, customer, "data", "1234.5")
    _post(api, customer, "manual_charge", "20.00")
    _post(api, customer, "payment", "7.00")
    return customer


def test_html_shows_number_customer_lines_taxes_and_amounts(api: Api) -> None:
    customer = _taxed_customer(api)
    invoice_id = _invoice_of(api, customer)
    invoice = api.get(f"/invoices/{invoice_id}").json()
    response = api.get(f"/invoices/{invoice_id}.html")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert invoice["number"] in html
    # Names typed by staff are text, never markup.
    assert "Acme &lt;b&gt;Ltd&lt;/b&gt; &amp; Co" in html and "<b>Ltd</b>" not in html
    assert "Tax code" in html and "CZ12345678" in html
    for description in ("Voice usage", "Data usage", "Charges"):
        assert description in html
    # 10.004 + 1,234.50 + 20.00 = 1,264.50; VAT 21% = 265.55 (265.545 half up).
    assert invoice["subtotal"] == "1264.50" and "1,264.50" in html
    assert "VAT 21%" in html and "265.55" in html
    assert "1,530.05" in html  # total
    assert "7.00" in html  # payments
    assert invoice["amount_due"] == "1523.05" and "1,523.05 USD" in html
    # The period and the dates in the customer's zone.
    end = datetime.fromisoformat(invoice["period_end"]).astimezone(ZoneInfo("Europe/Prague"))
    assert end.hour == 0 and "Europe/Prague" in html
    assert documents.day(end.date() - timedelta(days=1)) in html
    assert documents.day(date.fromisoformat(invoice["due_date"])) in html


def test_pdf_is_made_once_and_kept(api: Api, db: Database) -> None:
    customer = _taxed_customer(api)
    invoice_id = _invoice_of(api, customer)
    number = api.get(f"/invoices/{invoice_id}").json()["number"]
    first = api.get(f"/invoices/{invoice_id}.pdf")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/pdf"
    assert f'filename="{number}.pdf"' in first.headers["content-disposition"]
    assert first.content.startswith(b"%PDF")
    again = api.get(f"/invoices/{invoice_id}.pdf")
    assert again.content == first.content
    with db.transaction() as session:
        assert documents.invoice_pdf(session, invoice_id) == first.content
    with db.reading() as session:
        rows = session.scalar(select(func.count()).select_from(InvoiceDocument))
    assert rows == 1


def test_two_first_calls_keep_one_document(
    api: Api, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = _taxed_customer(api)
    invoice_id = _invoice_of(api, customer)
    # Each rendering differs, so equal answers prove both callers got the one kept document.
    both_rendering = threading.Barrier(2)
    renderings: list[bytes] = []

    def render(html: str, base: str | None = None) -> bytes:
        # On PostgreSQL both callers render before either keeps; SQLite lets one writer in at
        # a time, so there the wait runs out and the second caller finds the kept one.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_rendering.wait(timeout=2)
        renderings.append(b"%PDF-1.7 " + uuid.uuid4().bytes)
        return renderings[-1]

    monkeypatch.setattr(documents, "html_to_pdf", render)
    results: list[bytes] = []

    def call() -> None:
        with db.transaction() as session:
            results.append(documents.invoice_pdf(session, invoice_id))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2 and results[0] == results[1]
    with db.reading() as session:
        kept = session.scalars(select(InvoiceDocument.pdf)).all()
    assert kept == [results[0]]
    assert len(renderings) == (1 if db.is_sqlite else 2)


def test_unknown_invoice_and_auth(api: Api, db: Database) -> None:
    for suffix in (".html", ".pdf"):
        missing = api.get(f"/invoices/99999{suffix}")
        assert missing.status_code == 404
        assert missing.json()["code"] == "invoice_not_found"
        assert api.as_token(None).get(f"/invoices/1{suffix}").status_code == 401
    with db.transaction() as session, pytest.raises(NotFound):
        documents.invoice_pdf(session, 99999)
    customer = _taxed_customer(api)
    invoice_id = _invoice_of(api, customer)
    viewer = api.as_token(api.token_for("viewer"))
    assert viewer.get(f"/invoices/{invoice_id}.html").status_code == 200
    # The JSON route is still reached past the document routes.
    assert api.get(f"/invoices/{invoice_id}").json()["id"] == invoice_id


@pytest.fixture
def templates_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "invoice-templates"
    folder.mkdir()
    (folder / "brief.html").write_text(OPERATOR_TEMPLATE)
    (folder / "branded.html").write_text(EXTENDING_TEMPLATE)
    return folder


@pytest.fixture
def operator_api(settings: Settings, db: Database, templates_dir: Path) -> Iterator[Api]:
    configured = replace(settings, invoice_templates_dir=templates_dir)
    with TestClient(create_app(configured, db)) as client:
        yield Api(client)


def test_operator_template_named_by_the_class(
    operator_api: Api, db: Database, templates_dir: Path
) -> None:
    api = operator_api
    brief = _class(api, "Brief", invoice_template="brief")
    customer = int(
        api.post("/customers", customer_body(name="<i>Zed</i>", customer_class_id=brief)).json()[
            "id"
        ]
    )
    _post(api, customer, "manual_charge", "1234.50")
    invoice_id = _invoice_of(api, customer)
    number = api.get(f"/invoices/{invoice_id}").json()["number"]
    html = api.get(f"/invoices/{invoice_id}.html").text
    assert f'<h1 class="operator-template">Statement {number}</h1>' in html
    assert '<p id="who">&lt;i&gt;Zed&lt;/i&gt;</p>' in html
    assert "<li>Charges: 1,234.50</li>" in html
    pdf = api.get(f"/invoices/{invoice_id}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    with db.reading() as session:
        rendered = documents.render_invoice_html(
            session, get_invoice(session, invoice_id), templates_dir
        )
    assert "operator-template" in rendered


def test_operator_template_extends_the_standard_one(operator_api: Api) -> None:
    api = operator_api
    branded = _class(api, "Branded", invoice_template="branded")
    customer = int(
        api.post("/customers", customer_body(name="Yve", customer_class_id=branded)).json()["id"]
    )
    _post(api, customer, "manual_charge", "5.00")
    invoice_id = _invoice_of(api, customer)
    html = api.get(f"/invoices/{invoice_id}.html").text
    assert '<footer id="custom-footer">Thank you, Yve!</footer>' in html
    assert "Account summary" in html  # the standard template's other blocks stay


def test_missing_or_broken_operator_template_is_a_clear_conflict(
    operator_api: Api, templates_dir: Path
) -> None:
    api = operator_api
    brief = _class(api, "Brief", invoice_template="brief")
    customer = int(api.post("/customers", customer_body(customer_class_id=brief)).json()["id"])
    _post(api, customer, "manual_charge", "5.00")
    invoice_id = _invoice_of(api, customer)
    (templates_dir / "brief.html").write_text("{% for x in %}")
    broken = api.get(f"/invoices/{invoice_id}.html")
    assert broken.status_code == 409 and broken.json()["code"] == "invoice_template_invalid"
    (templates_dir / "brief.html").unlink()
    for suffix in (".html", ".pdf"):
        missing = api.get(f"/invoices/{invoice_id}{suffix}")
        assert missing.status_code == 409, missing.text
        assert missing.json()["code"] == "invoice_template_missing"
        assert "brief" in missing.json()["detail"]


def test_an_invoice_of_many_lines_fits_on_one_page(api: Api, db: Database) -> None:
    from weasyprint import HTML

    services = ["voice", "messaging", "video", "numbers", "data", "fax"]
    model = api.post("/business-models", {"name": "Everything", "services": services})
    assert model.status_code == 201, model.text
    response = api.post("/customers", customer_body(business_model_id=model.json()["id"]))
    assert response.status_code == 201, response.text
    customer = int(response.json()["id"])
    for service in services:
        _usage(api, customer, service, "3.21")
    for kind in ("manual_charge", "refund", "manual_credit", "promotional_credit", "payment"):
        _post(api, customer, kind, "1.00")
    invoice_id = _invoice_of(api, customer)
    assert len(api.get(f"/invoices/{invoice_id}").json()["lines"]) == 10
    with db.reading() as session:
        invoice = get_invoice(session, invoice_id)
        html = documents.render_invoice_html(session, invoice, None)
        base = documents.base_url(invoice, None)
    # Header, lines, totals, account summary and the payment note on one A4 page.
    assert len(HTML(string=html, base_url=base).render().pages) == 1
