"""A tariff's rates on its page: add one, delete one, or upload a CSV file of them.

The upload form posts the file as multipart. Sent by kassa.js (XMLHttpRequest, for its
progress bar) it is answered for the script: JSON naming the page to go to, or the per-line
error report as an HTML fragment to show in place. Sent as a plain form (no script), the page
is shown again with the same report.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from kassa.auth.actor import Actor
from kassa.core.errors import KassaError, ValidationFailed
from kassa.core.ids import Id
from kassa.db.engine import Database
from kassa.rating import rate_import, rates
from kassa.rating.schemas import RateIn
from kassa.web.errors import problem_for, problem_for_validation
from kassa.web.forms import FormView, text
from kassa.web.render import redirect, render
from kassa.web.routes.tariffs import RATE_FIELDS, tariff_page
from kassa.web.routing import web_router
from kassa.web.session import CheckedForm, RatingManager, database, flash, flash_refusal

router = web_router()

# kassa.js sends this header with the upload, and so asks for the answers it can use.
UPLOAD_HEADER = "x-kassa-upload"
OPTIONAL = ("first_interval", "next_interval", "connect_fee", "free_units")


def _rate_data(values: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: values[name] for name in RATE_FIELDS if values[name] or name not in OPTIONAL
    }
    effective = values["effective_from"]
    # A date alone is that day's midnight in UTC, as in the CSV file.
    data["effective_from"] = (
        None if not effective else f"{effective}T00:00:00Z" if len(effective) == 10 else effective
    )
    data["description"] = values["description"] or None
    return data


@router.post("/tariffs/{tariff_id:id}/rates")
def add_rate(
    request: Request, tariff_id: Id, actor: Actor = RatingManager, form: FormData = CheckedForm
) -> Response:
    values = {name: text(form, name) for name in RATE_FIELDS}
    try:
        with database(request).transaction() as session:
            data = RateIn.model_validate(_rate_data(values))
            rate = rates.add_rate(session, actor, tariff_id, data)
            prefix = rate.prefix
    except ValidationError as exc:
        problem = problem_for_validation(exc)
    except KassaError as exc:
        problem = problem_for(exc, {"": "prefix"})
        if problem.status == 404:
            raise
        if not problem.fields:
            problem.fields["prefix"] = problem.message
    else:
        flash(request, f"Rate for prefix '{prefix or 'every other destination'}' was added.")
        return redirect(f"/tariffs/{tariff_id}#rates")
    view = FormView.failed(values, problem, set(RATE_FIELDS))
    return tariff_page(request, tariff_id, status_code=problem.status, rate_form=view)


@router.post("/tariffs/{tariff_id:id}/rates/{rate_id:id}/delete")
def delete_rate(
    request: Request,
    tariff_id: Id,
    rate_id: Id,
    actor: Actor = RatingManager,
    form: FormData = CheckedForm,
) -> Response:
    try:
        with database(request).transaction() as session:
            rates.delete_rate(session, actor, tariff_id, rate_id)
    except KassaError as exc:
        flash_refusal(request, exc)
    else:
        flash(request, "The rate was deleted.")
    return redirect(f"/tariffs/{tariff_id}#rates")


def _import(db: Database, actor: Actor, tariff_id: int, data: bytes) -> int:
    with db.transaction() as session:
        return rate_import.import_rates(session, actor, tariff_id, data)


def _report(error: KassaError) -> list[dict[str, Any]]:
    """The refused file's errors, one row a line and column, for the error table."""
    return [
        {
            "line": item.line,
            "column": item.column,
            # The table has a column for each; the message need not repeat them.
            "message": item.message.split(": ", 1)[-1] if item.line else item.message,
        }
        for item in error.errors
    ]


@router.post("/tariffs/{tariff_id:id}/rates/import")
async def import_rates(
    request: Request, tariff_id: Id, actor: Actor = RatingManager, form: FormData = CheckedForm
) -> Response:
    scripted = request.headers.get(UPLOAD_HEADER) == "1"
    upload = form.get("file")
    db = database(request)
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed.field("file", "choose a CSV file to upload")
        data = await upload.read()
        count = await run_in_threadpool(_import, db, actor, tariff_id, data)
    except KassaError as exc:
        problem = problem_for(exc)
        if problem.status == 404:
            raise
        report = _report(exc)
        message = problem.message
        if any(row["line"] for row in report):
            message = "Nothing was imported. Correct these lines and upload the file again."
        elif problem.status == 422:
            message = f"Nothing was imported: {exc.detail}"
        if scripted:
            context = {"import_errors": report, "import_message": message}
            return render(
                request, "tariffs/_import_errors.html", context, status_code=problem.status
            )
        return await run_in_threadpool(
            lambda: tariff_page(
                request,
                tariff_id,
                status_code=problem.status,
                import_errors=report,
                import_message=message,
            )
        )
    flash(request, f"Imported {count:,} rate{'' if count == 1 else 's'}.")
    target = f"/tariffs/{tariff_id}#rates"
    if scripted:
        return JSONResponse({"imported": count, "redirect": target})
    return redirect(target)
