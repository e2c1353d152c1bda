"""The pages of a configuration resource kept by name (business models, custom fields, customer
classes): a list, a form to add one, the same form to edit it, and a delete button.

A resource declares its service functions, how its form reads and what its templates are given
in a :class:`ConfigPages`; :func:`config_router` serves the pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from kassa.auth.actor import Actor
from kassa.core.errors import KassaError
from kassa.core.ids import Id
from kassa.web.errors import WebProblem, problem_for, problem_for_validation
from kassa.web.forms import FormView
from kassa.web.render import redirect, render
from kassa.web.routing import web_router
from kassa.web.session import CheckedForm, Configurer, Reader, database, flash, flash_refusal

Item = TypeVar("Item")
# The database session the service functions take, typed loosely: the web layer names no ORM.
Session = Any


@dataclass
class Posted:
    """A submitted form: the values to show again, the data for the service, the inputs the
    form has (messages for other fields go above it), and the input each service field name
    is shown at when the two differ."""

    values: dict[str, Any]
    data: dict[str, Any]
    shown: set[str]
    renames: dict[str, str] = field(default_factory=dict)


def _nothing(*_: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class ConfigPages(Generic[Item]):
    path: str  # "/business-models"
    noun: str  # "Business model", as in "Business model 'IoT' was created."
    templates: str  # the folder of its list.html and form.html
    item_name: str  # what form.html calls the item
    # The service: get, create (from create_schema), update (from patch_schema), delete.
    get: Callable[[Session, int], Item]
    create: Callable[..., Item]
    update: Callable[..., Item]
    delete: Callable[[Session, Actor, int], None]
    create_schema: type[BaseModel]
    patch_schema: type[BaseModel]
    title: Callable[[Item], str]  # the item as flash messages name it
    list_context: Callable[[Session], dict[str, Any]]
    values_of: Callable[[Item], dict[str, Any]]  # an item's form values
    read_form: Callable[[Session, FormData, Item | None], Posted]
    new_values: Callable[[], dict[str, Any]] = _nothing
    # More for form.html: (request, session, form, item or None) -> context.
    form_context: Callable[[Request, Session, FormView, Item | None], dict[str, Any]] = _nothing
    # Keyword arguments create and update take from the request beyond the item's data.
    service_options: Callable[[Request], dict[str, Any]] = _nothing
    # Who may add, change and delete (everyone signed in reads): the Configurer by default.
    changer: Any = Configurer
    # More for list.html from the request (a page of a paged list): (request, session) -> context.
    list_page: Callable[[Request, Session], dict[str, Any]] = _nothing


def config_router(pages: ConfigPages[Any]) -> APIRouter:
    router = web_router()
    path = pages.path
    list_template, form_template = f"{pages.templates}/list.html", f"{pages.templates}/form.html"

    def form_context(
        request: Request, session: Session, form: FormView, item: object | None
    ) -> dict[str, Any]:
        context = {"form": form, pages.item_name: item}
        return context | pages.form_context(request, session, form, item)

    def save(request: Request, actor: Actor, form: FormData, item_id: int | None) -> Response:
        db = database(request)
        with db.reading() as session:
            item = None if item_id is None else pages.get(session, item_id)
            posted = pages.read_form(session, form, item)
        options = pages.service_options(request)
        problem: WebProblem
        try:
            with db.transaction() as session:
                if item_id is None:
                    data = pages.create_schema.model_validate(posted.data)
                    saved = pages.create(session, actor, data, **options)
                else:
                    patch = pages.patch_schema.model_validate(posted.data)
                    saved = pages.update(session, actor, item_id, patch, **options)
                title = pages.title(saved)
        except ValidationError as exc:
            problem = problem_for_validation(exc, posted.renames)
        except KassaError as exc:
            problem = problem_for(exc, posted.renames)
            if problem.status == 404:
                raise
        else:
            verb = "created" if item_id is None else "saved"
            flash(request, f"{pages.noun} '{title}' was {verb}.")
            return redirect(path)
        view = FormView.failed(posted.values, problem, posted.shown)
        with db.reading() as session:
            item = None if item_id is None else pages.get(session, item_id)
            context = form_context(request, session, view, item)
        return render(request, form_template, context, status_code=problem.status)

    @router.get(path, response_class=HTMLResponse)
    def listing(request: Request, _: Actor = Reader) -> Response:
        with database(request).reading() as session:
            context = pages.list_context(session) | pages.list_page(request, session)
        return render(request, list_template, context)

    changer = pages.changer

    @router.get(f"{path}/new", response_class=HTMLResponse)
    def new_item(request: Request, _: Actor = changer) -> Response:
        with database(request).reading() as session:
            context = form_context(request, session, FormView(values=pages.new_values()), None)
        return render(request, form_template, context)

    @router.post(f"{path}/new", response_class=HTMLResponse)
    def create_item(
        request: Request, actor: Actor = changer, form: FormData = CheckedForm
    ) -> Response:
        return save(request, actor, form, None)

    @router.get(f"{path}/{{item_id:id}}", response_class=HTMLResponse)
    def edit_page(request: Request, item_id: Id, _: Actor = Reader) -> Response:
        with database(request).reading() as session:
            item = pages.get(session, item_id)
            context = form_context(request, session, FormView(values=pages.values_of(item)), item)
        return render(request, form_template, context)

    @router.post(f"{path}/{{item_id:id}}", response_class=HTMLResponse)
    def update_item(
        request: Request, item_id: Id, actor: Actor = changer, form: FormData = CheckedForm
    ) -> Response:
        return save(request, actor, form, item_id)

    @router.post(f"{path}/{{item_id:id}}/delete")
    def delete_item(
        request: Request, item_id: Id, actor: Actor = changer, form: FormData = CheckedForm
    ) -> Response:
        try:
            with database(request).transaction() as session:
                title = pages.title(pages.get(session, item_id))
                pages.delete(session, actor, item_id)
        except KassaError as exc:
            flash_refusal(request, exc)
            return redirect(f"{path}/{item_id}")
        flash(request, f"{pages.noun} '{title}' was deleted.")
        return redirect(path)

    return router
