"""The review web app: a thin FastAPI shell around the plain functions of this package.

The routes live in :mod:`clusterradar.review.routes` (one ``APIRouter`` per page family), what
they share in :mod:`clusterradar.review.routes.deps`, the error handlers and middlewares in
:mod:`clusterradar.review.routes.errors`.

Every handler is a synchronous ``def`` (FastAPI runs it in its thread pool) that opens the
warehouse for one short unit of work and ends it again: the threads share the process's one
DuckDB instance (a cursor each), and a classification run in another process gets its turn
between requests (see :mod:`clusterradar.warehouse.db`). A decision waits for that turn
(bounded by ``lock_timeout``), and every decision form carries an idempotency key, so a
retried POST never decides twice. Crawled text is
hostile: Jinja2 autoescaping is on for every template, crawled HTML is never rendered, links
to crawled URLs are only made for http(s), and a strict Content-Security-Policy forbids inline
scripts and framing.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from clusterradar import texts
from clusterradar.review import api, auth
from clusterradar.review.queue_index import QueueIndex
from clusterradar.review.routes import agreement, clusters, decisions, errors, login, queue
from clusterradar.review.routes.deps import (
    AppContext,
    Warehouse,
    http_url,
    local_path,
    template_environment,
)
from clusterradar.settings import Settings
from clusterradar.warehouse.db import connect, transaction

__all__ = ["create_app", "http_url", "local_path"]


def create_app(settings: Settings) -> FastAPI:
    """Build the app for one warehouse file. Reads (or creates) the secret key once.

    The app speaks ``settings.ui.language`` (one language per process: the texts the routes
    pick outside the templates follow :func:`clusterradar.texts.use_language`)."""
    texts.use_language(settings.ui.language)
    warehouse = Warehouse(Path(settings.db), settings.lock_timeout)
    with connect(warehouse.path, timeout=warehouse.timeout) as con, transaction(con):
        secret = auth.secret_key(con, settings.review.secret_key)
    context = AppContext(
        settings=settings,
        warehouse=warehouse,
        session_signer=auth.CookieSigner(secret, "session"),
        login_signer=auth.CookieSigner(secret, "login"),
        throttle=auth.LoginThrottle(),
        templates=Jinja2Templates(env=template_environment(settings.ui.language)),
        queue=QueueIndex(settings.review),
    )
    app = FastAPI(title="Clusterradar review", docs_url=None, redoc_url=None, openapi_url=None)
    static_dir = resources.files("clusterradar.review").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    app.state.settings = settings
    app.state.login_throttle = context.throttle
    app.state.context = context
    errors.register(app, context)
    for module in (login, queue, clusters, decisions, agreement):
        app.include_router(module.router)
    app.include_router(api.router)  # the read API, /api/v1 (JSON, bearer tokens)
    if settings.review.trusted_proxies:
        # Only then is X-Forwarded-For believed, and only from these addresses; the client
        # address feeds the login throttle, so a spoofable one would reset it.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.review.trusted_proxies)
    return app
