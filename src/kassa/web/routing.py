"""Web routes answer in HTML: a failed page renders the error page, not problem+json.

The JSON API maps errors app-wide; web routes use this route class so that their errors (and
only theirs) become pages, through the mapping in :mod:`kassa.web.errors`.

A row id in a web path is written ``{name:id}``: digits, read by the one reading of an id
(:func:`kassa.core.ids.id_from_text`). Digits that name no row the databases can hold (zero,
2**63 and beyond) read as no id, which the route's ``Id`` parameter refuses: a 404 page, not a
number handed on to the database driver.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.convertors import Convertor, register_url_convertor

from kassa.core.errors import KassaError, RetryLater
from kassa.core.ids import id_from_text
from kassa.web.errors import WebProblem, problem_for
from kassa.web.render import redirect, render
from kassa.web.session import CsrfRejected, LoginRequired

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class IdConvertor(Convertor[int | None]):
    regex = "[0-9]+"

    def convert(self, value: str) -> int | None:
        return id_from_text(value)

    def to_string(self, value: int | None) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())


def error_page(request: Request, problem: WebProblem) -> Response:
    return render(request, "error.html", {"problem": problem}, status_code=problem.status)


def _login_redirect(request: Request, url: str) -> Response:
    if request.headers.get("hx-request"):
        # htmx would swap the login page into a fragment; have it load the page instead.
        return Response(status_code=204, headers={"HX-Redirect": url})
    return redirect(url)


class WebRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def web_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return _login_redirect(request, exc.next_url)
            except CsrfRejected:
                problem = WebProblem(
                    403,
                    "Form expired",
                    "This form was not sent from a page of this Kassa session (its security "
                    "token is missing or stale). Go back, reload the page and try again.",
                )
                return error_page(request, problem)
            except RetryLater as exc:
                response = error_page(request, problem_for(exc))
                response.headers["Retry-After"] = str(exc.retry_after)
                return response
            except KassaError as exc:
                return error_page(request, problem_for(exc))
            except RequestValidationError:
                problem = WebProblem(404, "Not found", "There is no such page.")
                return error_page(request, problem)

        return web_handler


def web_router() -> APIRouter:
    return APIRouter(route_class=WebRoute, include_in_schema=False)
