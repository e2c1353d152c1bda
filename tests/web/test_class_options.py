"""The customer class form's options: two checkboxes, saved and shown back."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kassa.customer_classes.service import get_customer_class, list_customer_classes
from kassa.db.engine import Database
from tests.web.conftest import csrf_of
from tests.web.helpers import class_form

OPTIONS = ("suspend_when_fees_unpaid", "skip_idle_invoices")


def _options(db: Database, class_id: int) -> tuple[bool, bool]:
    with db.reading() as session:
        cls = get_customer_class(session, class_id)
        return cls.suspend_when_fees_unpaid, cls.skip_idle_invoices


def _ticked(page: str, name: str) -> bool:
    return f'<input type="checkbox" name="{name}" value="1" checked' in page


def test_the_form_sets_and_clears_the_options(web: TestClient, db: Database) -> None:
    new = web.get("/customer-classes/new").text
    for name in OPTIONS:
        assert f'name="{name}"' in new and not _ticked(new, name)
    form = class_form(currency="", suspend_when_fees_unpaid="1", skip_idle_invoices="1")
    answer = web.post(
        "/customer-classes/new",
        data={"csrf_token": csrf_of(new), **form},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    with db.reading() as session:
        [created] = [c.id for c in list_customer_classes(session) if c.name == "Business"]
    assert _options(db, created) == (True, True)
    page = web.get(f"/customer-classes/{created}").text
    assert all(_ticked(page, name) for name in OPTIONS)

    # An unticked checkbox is not sent: the option goes off.
    edit = class_form(currency="", suspend_when_fees_unpaid="1")
    edited = web.post(
        f"/customer-classes/{created}",
        data={"csrf_token": csrf_of(page), **edit},
        follow_redirects=False,
    )
    assert edited.status_code == 303, edited.text
    assert _options(db, created) == (True, False)
    page = web.get(f"/customer-classes/{created}").text
    assert _ticked(page, "suspend_when_fees_unpaid") and not _ticked(page, "skip_idle_invoices")


def test_a_refused_form_keeps_the_ticks(web: TestClient, db: Database) -> None:
    token = csrf_of(web.get("/customer-classes/new").text)
    form = class_form(currency="", grace_period_days="soon", skip_idle_invoices="1")
    answer = web.post("/customer-classes/new", data={"csrf_token": token, **form})
    assert answer.status_code == 422
    assert _ticked(answer.text, "skip_idle_invoices")
    assert not _ticked(answer.text, "suspend_when_fees_unpaid")
