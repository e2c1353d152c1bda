"""``kassa serve``: prepare the database, say where to find Kassa, then run the web server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
import uvicorn

import kassa
from kassa.bootstrap import BootstrapReport, bootstrap
from kassa.cli.context import out, state
from kassa.core.settings import Settings
from kassa.db.urls import shown_url

APP_FACTORY = "kassa.app:create_app"


def _base_url(host: str, port: int) -> str:
    # A wildcard address is where the server listens, not one a browser can open.
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _print_banner(settings: Settings, report: BootstrapReport, base: str, workers: int) -> None:
    console = out()
    if report.migrated_from == report.migrated_to:
        schema = f"schema {report.migrated_to}, up to date"
    else:
        schema = f"migrated from {report.migrated_from or 'empty'} to {report.migrated_to}"
    processes = "1 process" if workers == 1 else f"{workers} worker processes"
    console.print(f"Kassa {kassa.__version__} ({processes})", markup=False)
    console.print(f"  Database:  {shown_url(settings.database_url)} ({schema})", markup=False)
    console.print(f"  Web UI:    {base}/", markup=False)
    console.print(f"  API docs:  {base}/docs  (OpenAPI: {base}/openapi.json)", markup=False)
    if not report.admin_created:
        return
    console.print()
    console.print("Created the admin user 'admin'.", markup=False)
    if report.admin_password or report.admin_token:
        console.print("Shown once, store them now:", markup=False)
    if report.admin_password:
        console.print(f"  Password:  {report.admin_password}", markup=False)
    else:
        console.print("  Password:  taken from KASSA_ADMIN_PASSWORD", markup=False)
    if report.admin_token:
        console.print(f"  API token: {report.admin_token}", markup=False)
    else:
        console.print("  API token: taken from KASSA_ADMIN_TOKEN", markup=False)
    console.print()


def serve(
    ctx: typer.Context,
    host: str = typer.Option(
        "127.0.0.1", help="Address to listen on; 0.0.0.0 listens on every interface."
    ),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port to listen on."),
    workers: int = typer.Option(
        1,
        min=1,
        help="Number of server processes. Each builds its own app from the environment; "
        "they share the database, and nothing else.",
    ),
    reload: bool = typer.Option(
        False,
        "--reload/--no-reload",
        help="Restart when Kassa's source changes (development; one process only).",
    ),
    access_log: bool = typer.Option(
        True,
        "--access-log/--no-access-log",
        help="Log a line per request to standard output. Leave it off behind a proxy that "
        "logs requests itself: at thousands of requests a second the lines cost CPU.",
    ),
) -> None:
    """Run Kassa: prepare the database, then serve the web UI and the REST API.

    Migrates an empty or older database and adds the reference data. On an empty database it
    creates the user 'admin' with a password and an API token, generated and printed once
    unless KASSA_ADMIN_PASSWORD / KASSA_ADMIN_TOKEN give them.
    """
    if reload and workers > 1:
        raise typer.BadParameter("--reload runs a single process; leave out --workers")
    cli = state(ctx)
    settings = cli.settings()
    report = bootstrap(cli.open_database(settings), settings)
    # Workers open their own connections; this process only supervises them.
    cli.close()
    _print_banner(settings, report, _base_url(host, port), workers)
    sys.stdout.flush()
    # Worker processes read their settings from the environment, like any other start.
    os.environ["KASSA_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        reload_dirs=[str(Path(kassa.__file__).parent)] if reload else None,
        access_log=access_log,
        # Kassa believes X-Forwarded-* itself, from KASSA_TRUSTED_PROXIES (see kassa.app).
        proxy_headers=False,
    )
