"""One declaration per configuration page of the web UI yields its CRUD, validation and role
tests, through the HTTP client with a signed-in session.

Each entry of PAGES says what its new form asks for, what a valid form creates and what the
listing then shows, which bad forms are refused (naming the field), what an edit changes and
whether items are deleted. Business models, custom fields, customer classes and webhook
endpoints have the whole set; currencies are only switched on and off.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from kassa.db.engine import Database
from tests.web.conftest import USER_PASSWORD, csrf_of, make_user, web_login
from tests.web.helpers import class_form, field_error, input_value

Form = dict[str, object]


@dataclass(frozen=True)
class Bad:
    """A form refused with ``status``: each message of ``errors`` is shown at its input, and
    the inputs of ``kept`` show again what was typed (a text, or a ticked box's value)."""

    case: str
    overrides: Form
    errors: dict[str, str]
    status: int = 422
    kept: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ConfigPage:
    path: str  # the list; items live at path/<id>
    create: Form  # a valid new form (the CSRF token is added)
    created: str  # the flash message after creating
    listed: str  # what the listing shows of the created item
    shown: tuple[str, str]  # an input of the item's page, and its value after creating
    edit: Form
    edited: str  # the flash message after editing
    deleted: str  # the flash message after deleting
    inputs: tuple[str, ...] = ()  # inputs of the new form
    bad: list[Bad] = field(default_factory=list)
    # Where the browser goes after an item is created or edited: the list, or the item's page.
    stays_on_item: bool = False

    def item_ids(self, web: TestClient) -> set[int]:
        listing = web.get(self.path)
        assert listing.status_code == 200, listing.text
        return self.ids_in(listing.text)

    def ids_in(self, listing: str) -> set[int]:
        return {int(i) for i in re.findall(rf'href="{re.escape(self.path)}/(\d+)"', listing)}


BUSINESS_MODELS = ConfigPage(
    path="/business-models",
    inputs=("name", "description", "services"),
    create={"name": "IoT", "description": "Devices", "services": "data, sms"},
    created="Business model 'IoT' was created.",
    listed='<span class="chip">sms</span>',
    shown=("services", "data, sms"),
    bad=[
        Bad(
            "service with capitals",
            {"name": "LoRa", "services": "Data!"},
            {"services": "Use lower-case letters"},
            kept={"name": "LoRa", "services": "Data!"},
        ),
        Bad("name taken", {"name": "iot", "services": ""}, {"name": "already exists"}, 409),
        Bad("name blank", {"name": " "}, {"name": "Must not be empty"}),
    ],
    edit={"name": "Internet of Things", "description": "Devices", "services": "data, sms"},
    edited="Business model 'Internet of Things' was saved.",
    deleted="Business model 'Internet of Things' was deleted.",
)

CUSTOM_FIELDS = ConfigPage(
    path="/custom-fields",
    inputs=("name", "label", "type", "min_length", "max_length", "default", "personal_data"),
    create={"name": "tax_code", "label": "Tax code", "type": "text", "max_length": "20"},
    created="Custom field 'Tax code' was created.",
    listed="<code>tax_code</code>",
    shown=("max_length", "20"),
    bad=[
        Bad(
            "bad name, blank label, an option twice",
            {
                "name": "Tax Code",
                "label": "",
                "type": "list",
                "option_value": ["a", "a"],
                "option_label": ["A", "B"],
            },
            {
                "name": "Must start with a lower-case letter",
                "label": "Must not be empty",
                "options[1].value": "listed twice",
            },
        ),
        Bad("name taken", {}, {"name": "already exists"}, 409),
        Bad(
            "length not a number",
            {"name": "vat", "max_length": "many"},
            {"max_length": "Must be a whole number"},
        ),
    ],
    edit={"label": "VAT number", "type": "text", "max_length": "30"},
    edited="Custom field 'VAT number' was saved.",
    deleted="Custom field 'VAT number' was deleted.",
)

CUSTOMER_CLASSES = ConfigPage(
    path="/customer-classes",
    inputs=(
        "name",
        "currency",
        "grace_period_days",
        "suspend_after_days",
        "invoice_template",
        "tax_name",
        "tax_rate",
        "notifications",
        "credit_limit_warnings",
    ),
    create=class_form(),
    created="Customer class 'Business' was created.",
    listed="VAT 21%, City tax 1.5% (exclusive)",
    shown=("credit_limit_warnings", "75, 90"),
    bad=[
        Bad(
            "grace and a rate not numbers",
            {"grace_period_days": "soon", "tax_name": ["VAT", "VAT"], "tax_rate": ["21", "abc"]},
            {
                "grace_period_days": "Must be a whole number",
                "taxation.taxes[1].rate": "Must be a number",
            },
        ),
        Bad(
            "tax twice, rate over 100",
            {"name": "Retail", "tax_name": ["VAT", "vat"], "tax_rate": ["21", "150"]},
            {
                "taxation.taxes[1].name": "listed twice",
                "taxation.taxes[1].rate": "Must be a percentage from 0 to 100",
            },
        ),
        Bad(
            "warnings zero and twice",
            {"name": "Retail", "credit_limit_warnings": "80, 0, 80"},
            {"credit_limit_warnings": "Must"},
        ),
        Bad("name taken", {"name": "default"}, {"name": "already exists"}, 409),
    ],
    edit=class_form(name="Business EU", tax_name=["VAT"], tax_rate=["20"]),
    edited="Customer class 'Business EU' was saved.",
    deleted="Customer class 'Business EU' was deleted.",
)

WEBHOOKS = ConfigPage(
    path="/webhooks",
    inputs=("url", "events"),
    create={"url": " https://billing.example.com/hooks ", "events": ["payment_received"]},
    created="Webhook endpoint added.",
    listed="https://billing.example.com/hooks",
    shown=("url", "https://billing.example.com/hooks"),
    bad=[
        Bad(
            "URL and events missing",
            {"url": "", "events": []},
            {"url": "URL is required", "events": "Choose at least one event"},
        ),
        Bad(
            "not http",
            {"url": "ftp://files.example.com", "events": "invoice_issued"},
            {"url": "http:// or https://"},
            kept={"url": "ftp://files.example.com", "events": "invoice_issued"},
        ),
        Bad(
            "unknown event",
            {"url": "https://a.example", "events": "nonsense"},
            {"events": "is not an event"},
        ),
    ],
    edit={"url": "https://new.example.com/in", "events": ["invoice_overdue"], "active": "1"},
    edited="Changes saved.",
    deleted="Webhook endpoint https://new.example.com/in was deleted, with its delivery log.",
    stays_on_item=True,
)

PAGES = [BUSINESS_MODELS, CUSTOM_FIELDS, CUSTOMER_CLASSES, WEBHOOKS]


@pytest.fixture(params=PAGES, ids=[p.path.strip("/") for p in PAGES])
def config_page(request: pytest.FixtureRequest) -> ConfigPage:
    return request.param  # type: ignore[no-any-return]


def text_of(answer: object) -> str:
    return html.unescape(getattr(answer, "text", ""))


def shows_typed(page: str, name: str, value: str) -> bool:
    ticked = rf'<input type="checkbox" name="{name}" value="{re.escape(value)}" checked'
    return input_value(page, name) == value or re.search(ticked, page) is not None


def create(web: TestClient, page: ConfigPage) -> tuple[int, str]:
    """The new item's id, and the page the browser lands on (with the flash message)."""
    before = page.item_ids(web)
    token = csrf_of(web.get(f"{page.path}/new").text)
    answer = web.post(
        f"{page.path}/new", data={"csrf_token": token, **page.create}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    landing = text_of(web.get(answer.headers["location"]))
    if page.stays_on_item:
        (item_id,) = page.item_ids(web) - before
        assert answer.headers["location"] == f"{page.path}/{item_id}"
    else:
        (item_id,) = page.ids_in(landing) - before
        assert answer.headers["location"] == page.path
    return item_id, landing


def test_new_form_has_its_inputs(web: TestClient, config_page: ConfigPage) -> None:
    page = web.get(f"{config_page.path}/new")
    assert page.status_code == 200
    csrf_of(page.text)
    for name in config_page.inputs:
        assert f'name="{name}"' in page.text, name
    assert f'href="{config_page.path}/new"' in web.get(config_page.path).text


def test_create_edit_delete(web: TestClient, config_page: ConfigPage) -> None:
    item_id, landing = create(web, config_page)
    item_path = f"{config_page.path}/{item_id}"
    assert config_page.created in landing
    assert config_page.listed in web.get(config_page.path).text
    item = web.get(item_path)
    assert item.status_code == 200
    shown_input, shown_value = config_page.shown
    assert input_value(text_of(item), shown_input) == shown_value

    edit = {"csrf_token": csrf_of(item.text), **config_page.edit}
    edited = web.post(item_path, data=edit, follow_redirects=False)
    assert edited.status_code == 303, edited.text
    assert edited.headers["location"] == (
        item_path if config_page.stays_on_item else config_page.path
    )
    assert config_page.edited in text_of(web.get(edited.headers["location"]))

    deleted = web.post(
        f"{item_path}/delete", data={"csrf_token": edit["csrf_token"]}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert deleted.headers["location"] == config_page.path
    assert config_page.deleted in text_of(web.get(config_page.path))
    assert web.get(item_path).status_code == 404
    assert item_id not in config_page.item_ids(web)


def test_bad_form_is_refused_naming_the_field(
    web: TestClient, config_page: ConfigPage, subtests: pytest.Subtests
) -> None:
    create(web, config_page)  # the first of its name: a second one is refused
    items = config_page.item_ids(web)
    token = csrf_of(web.get(f"{config_page.path}/new").text)
    for bad in config_page.bad:
        with subtests.test(bad.case):
            form = {"csrf_token": token, **config_page.create, **bad.overrides}
            answer = web.post(f"{config_page.path}/new", data=form)
            assert answer.status_code == bad.status
            assert answer.headers["content-type"].startswith("text/html")
            page = text_of(answer)
            for name, message in bad.errors.items():
                assert message in (field_error(page, name) or ""), (name, page)
            for name, value in bad.kept.items():
                assert shows_typed(page, name, value), (name, value)
            assert config_page.item_ids(web) == items


def test_unknown_item_is_a_404_page(web: TestClient, config_page: ConfigPage) -> None:
    items = config_page.item_ids(web)
    token = csrf_of(web.get(config_page.path).text)
    unknown = f"{config_page.path}/987654"
    assert web.get(unknown).status_code == 404
    form = {"csrf_token": token, **config_page.edit}
    assert web.post(unknown, data=form).status_code == 404
    assert web.post(f"{unknown}/delete", data={"csrf_token": token}).status_code == 404
    assert config_page.item_ids(web) == items


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_viewer_and_operator_read_but_cannot_change(
    client: TestClient, db: Database, config_page: ConfigPage, role: str
) -> None:
    web_login(client)
    item_id, _ = create(client, config_page)
    item_path = f"{config_page.path}/{item_id}"
    items = config_page.item_ids(client)
    make_user(db, role, f"{role}-1")
    web_login(client, f"{role}-1", USER_PASSWORD)
    listing = client.get(config_page.path)
    assert listing.status_code == 200
    assert f'href="{config_page.path}/new"' not in listing.text
    page = client.get(item_path).text
    assert "disabled>" in page and ">Save</button>" not in page
    assert client.get(f"{config_page.path}/new").status_code == 403
    token = csrf_of(page)
    for path, form in (
        (f"{config_page.path}/new", config_page.create),
        (item_path, config_page.edit),
        (f"{item_path}/delete", {}),
    ):
        assert client.post(path, data={"csrf_token": token, **form}).status_code == 403, path
    assert config_page.item_ids(client) == items
    shown_input, shown_value = config_page.shown
    assert input_value(text_of(client.get(item_path)), shown_input) == shown_value
