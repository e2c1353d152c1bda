"""``kassa classes``: list classes and set their options."""

from __future__ import annotations

from kassa.auth.actor import SYSTEM
from kassa.customer_classes.schemas import CustomerClassIn
from kassa.customer_classes.service import create_customer_class, get_customer_class
from kassa.db.engine import Database
from tests.cli.conftest import Kassa


def _options(db: Database, class_id: int) -> tuple[bool, bool]:
    with db.reading() as session:
        cls = get_customer_class(session, class_id)
        return cls.suspend_when_fees_unpaid, cls.skip_idle_invoices


def test_options_are_shown_and_set(kassa: Kassa, db: Database) -> None:
    with db.transaction() as session:
        class_id = create_customer_class(session, SYSTEM, CustomerClassIn(name="Prepaid")).id
    listed = kassa.ok("classes", "list").output
    assert "Default" in listed and "Prepaid" in listed
    shown = kassa.ok("classes", "options", str(class_id)).output
    assert "Suspend when fees unpaid" in shown and "no" in shown

    saved = kassa.ok(
        "classes", "options", str(class_id), "--suspend-when-fees-unpaid", "--skip-idle-invoices"
    ).output
    assert f"Saved the options of customer class {class_id}." in saved
    assert _options(db, class_id) == (True, True)
    kassa.ok("classes", "options", str(class_id), "--no-skip-idle-invoices")
    assert _options(db, class_id) == (True, False)
    kassa.ok("classes", "options", str(class_id))
    assert _options(db, class_id) == (True, False)
    assert "yes" in kassa.ok("classes", "list").output


def test_unknown_class_is_refused(kassa: Kassa) -> None:
    missing = kassa("classes", "options", "999999", "--skip-idle-invoices")
    assert missing.exit_code == 1
    assert "999999" in missing.output
    assert kassa("classes", "options", "x").exit_code == 2


def test_help_says_what_each_option_does(kassa: Kassa) -> None:
    shown = kassa.ok("classes", "options", "--help").output
    assert "--suspend-when-fees-unpaid" in shown and "--skip-idle-invoices" in shown
    assert "in-advance" in shown and "still closes" in shown
