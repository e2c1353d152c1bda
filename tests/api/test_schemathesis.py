"""Property-based fuzzing of every operation in /openapi.json, as the admin, on both backends.

Whatever Schemathesis sends, valid or not, the API must answer without a server error. The
operations run one after another on one database, so later ones also meet the rows that
earlier ones created.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from kassa.app import create_app
from kassa.core.settings import Settings
from kassa.db.engine import Database
from tests.conftest import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "errors"}
EXAMPLES_PER_OPERATION = 20


def problem_details_on_client_errors(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Every 4xx of the API is RFC 9457 problem+json with Kassa's fields."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/problem+json"), content_type
    body = response.json()
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == response.status_code, body
    return True


@pytest.fixture
def fuzzed_app(settings: Settings, db: Database) -> Iterator[FastAPI]:
    app = create_app(settings, db)
    yield app
    # Schemathesis calls the app without its lifespan: the billing runs it started with
    # "wait": false stop here, before the database goes.
    app.state.background_runs.stop()


def _fuzz(operation: schemathesis.APIOperation) -> str | None:
    """The first failing request and its error, or None."""
    seen: list[str] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        report_multiple_bugs=False,
        # Shrinking replays requests against a database the first failure already changed;
        # the first failing request, reported as sent, is the useful part.
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: schemathesis.Case) -> None:
        try:
            response = case.call(headers=AUTH)
            case.validate_response(
                response, checks=[not_a_server_error, problem_details_on_client_errors]
            )
        except Exception as exc:
            if not seen:
                seen.append(f"{case.as_curl_command()}\n{type(exc).__name__}: {exc}")
            raise

    try:
        run()
    except Exception as exc:
        # The database keeps what earlier examples wrote, so a replay may pass ("flaky"):
        # report the first failure as it happened.
        return seen[0] if seen else f"{type(exc).__name__}: {exc}"
    return None


@pytest.mark.slow
def test_no_operation_answers_with_a_server_error(fuzzed_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    failures: list[str] = []
    labels: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        failure = _fuzz(operation)
        if failure is not None:
            failures.append(f"{operation.label}:\n{failure}")
    assert len(labels) > 10, labels
    assert not failures, "\n\n".join(failures)
