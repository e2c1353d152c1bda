"""An invoice template that loops too long or writes too much is stopped within its budget,
with a clear problem (``invoice_template_failed``), never a 500 or a held server thread."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kassa.app import create_app
from kassa.billing import documents
from kassa.core.errors import Conflict
from kassa.core.settings import Settings
from kassa.db.engine import Database
from tests.billing.test_documents import _class, _invoice_of, _post
from tests.conftest import Api, customer_body
from tests.web.conftest import web_login

RUNAWAY = {
    "long_range": "{% for i in range(10**9) %}x{% endfor %}",
    "huge_string": '{{ "x" * 10**9 }}',
    "huge_list": "{{ ([1] * 10**9) | length }}",
    "huge_power": "{{ 2 ** 100000 }}",
    "doubling": '{% set s = namespace(v="x") %}{% for i in range(64) %}'
    "{% set s.v = s.v + s.v %}{% endfor %}{{ s.v | length }}",
    "silent_loops": "{% for i in range(100000) %}{% for j in range(100000) %}"
    "{% endfor %}{% endfor %}",
    "much_output": '{% for i in range(100000) %}{{ "y" * 100 }}{% endfor %}',
}
SECONDS = 1.0


@pytest.fixture
def templates_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "invoice-templates"
    folder.mkdir()
    for name, source in RUNAWAY.items():
        (folder / f"{name}.html").write_text(source)
    (folder / "fine.html").write_text("{% for i in range(1000) %}{{ i }} {% endfor %}")
    return folder


@pytest.fixture
def operator(settings: Settings, db: Database, templates_dir: Path) -> Iterator[TestClient]:
    configured = replace(
        settings, invoice_templates_dir=templates_dir, invoice_render_seconds=SECONDS
    )
    with TestClient(create_app(configured, db)) as client:
        yield client


def _invoice_with(api: Api, template: str) -> int:
    cls = _class(api, f"Class {template}", invoice_template=template)
    customer = api.post("/customers", customer_body(customer_class_id=cls)).json()["id"]
    _post(api, customer, "manual_charge", "5.00")
    return _invoice_of(api, customer)


@pytest.mark.parametrize("template", sorted(RUNAWAY))
def test_a_runaway_template_is_stopped_with_a_clear_problem(
    operator: TestClient, template: str
) -> None:
    api = Api(operator)
    invoice_id = _invoice_with(api, template)
    run = api.get("/billing-runs").json()["items"][0]
    assert run["status"] == "finished", run
    started = time.monotonic()
    for suffix in (".html", ".pdf"):
        answer = api.get(f"/invoices/{invoice_id}{suffix}")
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "invoice_template_failed", answer.text
        assert template in answer.json()["detail"]
    web_login(operator)
    page = operator.get(f"/invoices/{invoice_id}/document")
    assert page.status_code == 409 and "was stopped" in page.text
    assert time.monotonic() - started < 3 * (3 * SECONDS + 2)


def test_a_template_within_its_budget_renders(operator: TestClient) -> None:
    api = Api(operator)
    invoice_id = _invoice_with(api, "fine")
    answer = api.get(f"/invoices/{invoice_id}.html")
    assert answer.status_code == 200 and "999" in answer.text


def test_the_budget_holds_where_the_environment_names_the_templates(
    operator: TestClient, db: Database, templates_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Email attachments render through invoice_pdf, which reads the settings from the
    environment."""
    invoice_id = _invoice_with(Api(operator), "silent_loops")
    monkeypatch.setenv("KASSA_INVOICE_TEMPLATES_DIR", str(templates_dir))
    monkeypatch.setenv("KASSA_INVOICE_RENDER_SECONDS", "0.5")
    with db.transaction() as session, pytest.raises(Conflict) as stopped:
        documents.invoice_pdf(session, invoice_id)
    assert stopped.value.code == "invoice_template_failed"
    assert "longer than 0.5 seconds" in stopped.value.detail
