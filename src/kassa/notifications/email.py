"""Email notifications: a text and an HTML part from the event's templates, sent over SMTP.

Each event has ``<event>.txt`` (which also sets the ``subject``) and ``<event>.html`` under
``templates/``; an event without its own pair uses ``generic``.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, TemplateNotFound, select_autoescape
from sqlalchemy.orm import Session

from kassa.core.errors import NotFound
from kassa.core.settings import Settings

TEMPLATES_DIR = Path(__file__).parent / "templates"
TIMEOUT_SECONDS = 30.0
IMPLICIT_TLS_PORT = 465
# SMTP replies that say the address itself is refused: another try would be refused too.
PERMANENT_REFUSALS = range(550, 554)

# Makes (or finds kept) an invoice's PDF, in a read-write transaction; raises NotFound for an
# unknown invoice. The application passes billing's kassa.billing.documents.invoice_pdf, so
# notifications need not know billing; without one, invoice emails go without the PDF.
InvoicePdf = Callable[[Session, int], bytes]
# The same for a credit note's PDF (billing's kassa.billing.credit_note_documents.credit_note_pdf).
CreditNotePdf = Callable[[Session, int], bytes]

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _money(amount: object, currency: object = None) -> str:
    if amount is None or amount == "":
        return ""
    return f"{amount} {currency}" if currency else str(amount)


def _balance(balance: object, currency: object = None) -> str:
    """A balance in the customer's words: Kassa's balance is what the customer owes."""
    text = str(balance)
    if text.startswith("-"):
        return f"{_money(text[1:], currency)} in your favour"
    if text.strip("0.") == "":
        return _money(text, currency)
    return f"{_money(text, currency)} owed"


_env.filters["money"] = _money
_env.filters["balance"] = _balance


@dataclass(frozen=True)
class Recipient:
    """Who the email is about; the address comes from the delivery row."""

    customer_id: int | None
    name: str | None
    currency: str | None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class PermanentFailure(Exception):
    """The server refused the address for good: retrying would change nothing."""


def _template_names(event_type: str) -> tuple[str, str]:
    try:
        _env.get_template(f"{event_type}.txt")
        _env.get_template(f"{event_type}.html")
    except TemplateNotFound:
        return "generic.txt", "generic.html"
    return f"{event_type}.txt", f"{event_type}.html"


def render(
    event_type: str,
    occurred_at: datetime,
    payload: dict[str, Any],
    recipient: Recipient,
    *,
    attached: bool = False,
) -> Rendered:
    context = {
        "attached": attached,
        "event_type": event_type,
        "event_title": event_type.replace("_", " ").capitalize(),
        "occurred_at": occurred_at.strftime("%Y-%m-%d %H:%M UTC"),
        "data": payload,
        "customer": recipient,
    }
    text_name, html_name = _template_names(event_type)
    text_template = _env.get_template(text_name)
    module = text_template.make_module(context)
    subject = " ".join(str(getattr(module, "subject", context["event_title"])).split())
    return Rendered(
        subject=subject,
        text=str(module).strip() + "\n",
        html=_env.get_template(html_name).render(context),
    )


def build_message(
    settings: Settings, to: str, rendered: Rendered, attachments: list[Attachment]
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=_domain_of(settings.mail_from))
    # Tells mail servers and vacation responders this is a machine notice, not a conversation.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for item in attachments:
        message.add_attachment(
            item.content, maintype=item.maintype, subtype=item.subtype, filename=item.filename
        )
    return message


def _domain_of(address: str) -> str | None:
    match = re.search(r"@([A-Za-z0-9.-]+)", address)
    return match.group(1) if match else None


def send(settings: Settings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server; raises on failure (``PermanentFailure`` when the
    recipient is refused for good)."""
    if settings.smtp_host is None:
        raise RuntimeError("KASSA_SMTP_HOST is not set")
    smtp: smtplib.SMTP
    if settings.smtp_port == IMPLICIT_TLS_PORT:
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=TIMEOUT_SECONDS,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
    with smtp:
        if settings.smtp_starttls and settings.smtp_port != IMPLICIT_TLS_PORT:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(code in PERMANENT_REFUSALS for code in codes):
                raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
            raise


def invoice_attachments(
    session: Session, payload: dict[str, Any], invoice_pdf: InvoicePdf
) -> list[Attachment]:
    """The invoice's PDF as ``invoice_pdf`` makes it; none when it knows no such invoice.

    Any other failure to make the PDF is raised, so the delivery is tried again later.
    """
    return _document(session, payload, "invoice_id", "invoice", invoice_pdf)


def credit_note_attachments(
    session: Session, payload: dict[str, Any], credit_note_pdf: CreditNotePdf
) -> list[Attachment]:
    """The credit note's PDF, as :func:`invoice_attachments` gives an invoice's."""
    return _document(session, payload, "credit_note_id", "credit-note", credit_note_pdf)


def _document(
    session: Session,
    payload: dict[str, Any],
    key: str,
    prefix: str,
    make: Callable[[Session, int], bytes],
) -> list[Attachment]:
    document_id = payload.get(key)
    if document_id is None:
        return []
    try:
        content = make(session, int(document_id))
    except NotFound:
        return []
    if not content:
        return []
    number = re.sub(r"[^A-Za-z0-9._-]+", "-", str(payload.get("number") or document_id))
    return [Attachment(filename=f"{prefix}-{number}.pdf", content=bytes(content))]
