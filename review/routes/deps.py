"""What the review routes share, as FastAPI dependencies: the app's context (settings, cookie
signers, templates), the warehouse, the logged-in session and the queue filters.

The warehouse dependency hands out a :class:`Warehouse`, not an open connection: a handler opens
one short unit of work with ``warehouse.unit()`` in its own thread. (A ``yield`` dependency would
open and close the connection in other threads of the pool than the handler's, and
:mod:`clusterradar.warehouse.db` counts units of work per thread.)
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode, urlsplit

import duckdb
import jinja2
from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from clusterradar import texts
from clusterradar.review import auth, vocabulary
from clusterradar.review.queue import QueueFilters
from clusterradar.review.queue_index import QueueIndex
from clusterradar.settings import ReviewSettings, Settings
from clusterradar.warehouse.db import connect

SESSION_COOKIE = "clusterradar_session"
LOGIN_COOKIE = "clusterradar_login"
CSRF_FAILED = "CSRF token missing or wrong"
FILTER_KEYS = ("bundesland", "dimension", "label", "run", "quarter", "dropped")
# Texts come from the catalogue (clusterradar/texts.py) in the app's language.
REASON_DE = texts.Names("reason")
SITE_OUTCOME_DE = texts.Names("site_outcome")
STATE_DE = texts.Names("state")
# Seconds the warehouse stays open after a request for the next one, unless another process
# waits for it (then it closes at once; see clusterradar.warehouse.db). Opening the file and
# checkpointing it on close cost more than a page's queries (issue 17).
LINGER = 2.0


class LoginRequired(Exception):
    """Raised by handlers without a live session; answered with a redirect to /login."""

    def __init__(self, next_path: str):
        self.next_path = next_path


@dataclass(slots=True)
class Warehouse:
    """The warehouse file of this app; ``unit()`` is one short unit of work on it, after which
    the file stays open ``linger`` seconds for the next request while no other process waits."""

    path: Path
    timeout: float
    linger: float = LINGER

    @contextlib.contextmanager
    def unit(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.path, timeout=self.timeout, linger=self.linger) as con:
            yield con


@dataclass(slots=True)
class AppContext:
    """Everything the routes of one app share; built once by ``create_app``."""

    settings: Settings
    warehouse: Warehouse
    session_signer: auth.CookieSigner
    login_signer: auth.CookieSigner
    throttle: auth.LoginThrottle
    templates: Jinja2Templates
    queue: QueueIndex  # the review queue kept in memory (review/queue_index.py)

    @property
    def review(self) -> ReviewSettings:
        return self.settings.review

    def render(self, request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
        context = {"message": None, "session": None, "csrf_token": "", **context}
        return self.templates.TemplateResponse(request, name, context, status_code=status)


def http_url(url: str | None) -> str | None:
    """The URL if it is a plain http(s) link, else None (no javascript:, data:, ...)."""
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in {"http", "https"} else None


def local_path(target: str | None, default: str = "/") -> str:
    """A redirect target inside this app only (no open redirects via //host or schemes)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def new_request_key() -> str:
    """A fresh idempotency key for one decision form (see review.decisions)."""
    return secrets.token_urlsafe(24)


def template_environment(language: str | None = None) -> jinja2.Environment:
    """The templates' environment; every text comes from the catalogue in `language`
    (default: the process's, ``ui.language``) through ``t``."""
    t = texts.Texts(language)
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("clusterradar.review", "templates"),
        autoescape=True,  # everywhere, whatever the file extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # compiled once per process, no stat of every template per request
    )
    env.globals.update(
        t=t,
        label_name=t.label,
        land_de=vocabulary.land_de,
        dimension_label=t.dimension_label,
        choices=lambda dimension: [
            (key, t.label(dimension, key)) for key, _ in vocabulary.choices(dimension)
        ],
        is_multi_label=vocabulary.is_multi_label,
        http_url=http_url,
        request_key=new_request_key,
        reason_names=t.names("reason"),
        state_names=t.names("state"),
        site_outcome_names=t.names("site_outcome"),
        source_names=t.names("source"),
        action_names=t.names("action"),
    )
    env.filters["score"] = lambda value: f"{value:.2f}" if value is not None else "–"
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M") if value else "–"
    return env


def app_context(request: Request) -> AppContext:
    return request.app.state.context


Context = Annotated[AppContext, Depends(app_context)]


def warehouse(context: Context) -> Warehouse:
    return context.warehouse


@dataclass(slots=True)
class SessionCookie:
    """The signed session token of a request, checked against the warehouse by
    :meth:`session` inside the handler's own unit of work: one unit per request, because
    opening the warehouse file is what a request costs (a dependency of its own would open it
    twice). A request without a validly signed cookie is sent to the login at once."""

    token: str
    next_path: str  # where the login sends the reviewer back to

    def session(self, con: duckdb.DuckDBPyConnection) -> auth.Session:
        """The live session, else LoginRequired (answered with a redirect to /login)."""
        session = auth.session_for_token(con, self.token)
        if session is None:
            raise LoginRequired(self.next_path)
        return session


def session_cookie(request: Request, context: Context) -> SessionCookie:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    token = context.session_signer.unsign(request.cookies.get(SESSION_COOKIE))
    if not token:
        raise LoginRequired(local_path(target))
    return SessionCookie(token, local_path(target))


def queue_filters(
    bundesland: str = "",
    dimension: str = "",
    label: str = "",
    run: str = "",
    quarter: str = "",
    dropped: str = "",
) -> QueueFilters:
    """The queue filters of the query string (blank: no restriction; ``dropped=1`` also shows
    initiatives the registry no longer lists), not yet checked against the warehouse (see
    :func:`clusterradar.review.pages.check_filters`)."""
    return QueueFilters(
        bundesland=bundesland.strip() or None,
        dimension=dimension.strip() or None,
        label=label.strip() or None,
        run_id=run.strip() or None,
        quarter=quarter.strip() or None,
        dropped=dropped.strip() == "1",
    )


def check_csrf(session: auth.Session, token: str) -> None:
    if not auth.tokens_match(session.csrf_token, token):
        raise HTTPException(status_code=403, detail=CSRF_FAILED)


def login_redirect_query(next_path: str) -> str:
    return "/login?" + urlencode({"next": next_path})


WarehouseDep = Annotated[Warehouse, Depends(warehouse)]
SessionCookieDep = Annotated[SessionCookie, Depends(session_cookie)]
FiltersDep = Annotated[QueueFilters, Depends(queue_filters)]

MESSAGES = texts.Names("message")
