"""Business models: list, create, edit, delete."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from starlette.datastructures import FormData

from kassa.auth.actor import Actor
from kassa.business_models import service
from kassa.business_models.service import BusinessModelIn, BusinessModelPatch
from kassa.core.errors import KassaError
from kassa.core.ids import Id
from kassa.db.models import BusinessModel, Customer
from kassa.web.errors import WebProblem, problem_for, problem_for_validation
from kassa.web.forms import FormView, split_list, text
from kassa.web.render import redirect, render
from kassa.web.routing import web_router
from kassa.web.session import CheckedForm, Configurer, Reader, database, flash

router = web_router()
SHOWN = {"name", "description", "services"}


def _values_of(model: BusinessModel) -> dict[str, Any]:
    return {
        "name": model.name,
        "description": model.description,
        "services": ", ".join(model.services),
    }


@router.get("/business-models", response_class=HTMLResponse)
def model_list(request: Request, _: Actor = Reader) -> Response:
    with database(request).reading() as session:
        models = service.list_business_models(session)
        used = dict(
            session.execute(
                select(Customer.business_model_id, func.count()).group_by(
                    Customer.business_model_id
                )
            ).all()
        )
    return render(request, "models/list.html", {"models": models, "used": used})


def _form_page(
    request: Request, form: FormView, model: BusinessModel | None, status_code: int = 200
) -> Response:
    return render(
        request, "models/form.html", {"form": form, "model": model}, status_code=status_code
    )


@router.get("/business-models/new", response_class=HTMLResponse)
def new_model(request: Request, _: Actor = Configurer) -> Response:
    return _form_page(request, FormView(), None)


def _save(request: Request, actor: Actor, form: FormData, model_id: int | None) -> Response:
    db = database(request)
    model = None
    if model_id is not None:
        with db.reading() as session:
            model = service.get_business_model(session, model_id)
    values = {
        "name": text(form, "name"),
        "description": text(form, "description"),
        "services": text(form, "services"),
    }
    data = {**values, "services": split_list(values["services"])}
    problem: WebProblem
    try:
        with db.transaction() as session:
            if model_id is None:
                saved = service.create_business_model(
                    session, actor, BusinessModelIn.model_validate(data)
                )
            else:
                saved = service.update_business_model(
                    session, actor, model_id, BusinessModelPatch.model_validate(data)
                )
            name = saved.name
    except ValidationError as exc:
        problem = problem_for_validation(exc)
    except KassaError as exc:
        problem = problem_for(exc)
        if problem.status == 404:
            raise
    else:
        verb = "created" if model_id is None else "saved"
        flash(request, f"Business model '{name}' was {verb}.")
        return redirect("/business-models")
    return _form_page(request, FormView.failed(values, problem, SHOWN), model, problem.status)


@router.post("/business-models/new", response_class=HTMLResponse)
def create_model(
    request: Request, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    return _save(request, actor, form, None)


@router.get("/business-models/{model_id:id}", response_class=HTMLResponse)
def edit_model_page(request: Request, model_id: Id, _: Actor = Reader) -> Response:
    with database(request).reading() as session:
        model = service.get_business_model(session, model_id)
    return _form_page(request, FormView(values=_values_of(model)), model)


@router.post("/business-models/{model_id:id}", response_class=HTMLResponse)
def update_model(
    request: Request, model_id: Id, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    return _save(request, actor, form, model_id)


@router.post("/business-models/{model_id:id}/delete")
def delete_model(
    request: Request, model_id: Id, actor: Actor = Configurer, form: FormData = CheckedForm
) -> Response:
    try:
        with database(request).transaction() as session:
            name = service.get_business_model(session, model_id).name
            service.delete_business_model(session, actor, model_id)
    except KassaError as exc:
        problem = problem_for(exc)
        if problem.status == 404:
            raise
        flash(request, problem.message, "error")
        return redirect(f"/business-models/{model_id}")
    flash(request, f"Business model '{name}' was deleted.")
    return redirect("/business-models")
