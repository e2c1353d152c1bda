"""The Kassa application: the JSON API and the web UI over one database."""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from kassa import __version__
from kassa.api import openapi, problems
from kassa.api.app import install_api
from kassa.api.body_limit import BodyLimit
from kassa.api.routers import health
from kassa.auth.hashing import PasswordHashing
from kassa.auth.password_flows import Passwords
from kassa.auth.throttle import LoginLimits
from kassa.background import Housekeeper
from kassa.billing.background import BackgroundRuns
from kassa.billing.credit_note_documents import credit_note_pdf
from kassa.billing.documents import invoice_pdf
from kassa.billing.scheduler import BillingScheduler
from kassa.bootstrap import session_secret
from kassa.core.settings import Settings
from kassa.db.engine import Database
from kassa.notifications.worker import Notifier
from kassa.security_headers import SecurityHeaders

# The routes that take files, and so bodies up to max_upload_bytes: a tariff's rates as CSV,
# through the API and through the web UI's upload form.
UPLOADS = re.compile(r"^/(?:api/v1/)?tariffs/[0-9]+/rates(?:/import)?$")


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    db = db or Database.from_settings(settings)
    background_runs = BackgroundRuns(db)
    hashing = PasswordHashing(settings.password_hash_threads, settings.password_hash_queue)
    # Background work of every server process; each one is safe to run in many processes.
    workers = (
        Housekeeper(db, settings.sweep_interval_seconds, settings.login_window_seconds),
        Notifier(db, settings, invoice_pdf=invoice_pdf, credit_note_pdf=credit_note_pdf),
        BillingScheduler(db, settings),
        background_runs,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The app's own objects (routes, models, templates, compiled statements: some 150,000)
        # live as long as it serves. Frozen, the garbage collector stops rescanning them in
        # every full collection, a pause of some 60 ms in the middle of authorizations.
        gc.collect()
        gc.freeze()
        for worker in workers:
            worker.start()
        try:
            yield
        finally:
            for worker in workers:
                worker.stop()
            # Collectable again once the app is done with (a process may build another).
            gc.unfreeze()

    app = FastAPI(
        title="Kassa",
        version=__version__,
        description="Real-time balance control and invoicing for telecom, ISP and SaaS operators.",
        lifespan=lifespan,
        generate_unique_id_function=openapi.operation_id,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.background_runs = background_runs
    app.state.passwords = Passwords(db, hashing, LoginLimits.from_settings(settings))
    with db.transaction() as session:
        secret = session_secret(session, settings)
    problems.install(app)
    openapi.install(app)
    app.include_router(health.router)
    install_api(app)
    from kassa.web.app import install as install_web

    install_web(app, secret, settings.cookie_secure)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        uploads=UPLOADS,
    )
    app.add_middleware(
        SecurityHeaders,
        docs_paths=(app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url),
    )
    if settings.trusted_proxies.lower() != "none":
        # Outermost: every layer below sees the client and scheme the trusted proxy reported.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app
