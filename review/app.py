"""The review web app: a thin FastAPI shell around the plain functions of this package.

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

import datetime as dt
import secrets
from importlib import resources
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import jinja2
from fastapi import FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from clusterradar.errors import ClusterradarError, InputError, NotFoundError, WarehouseLockedError
from clusterradar.review import auth, vocabulary
from clusterradar.review.agreement import pair_agreement
from clusterradar.review.decisions import record_decision
from clusterradar.review.messages import german, not_found
from clusterradar.review.pages import (
    check_filters,
    load_cluster_page,
    load_pending,
    load_queue_page,
)
from clusterradar.review.queue import REASONS, QueueFilters, matches, next_after
from clusterradar.settings import Settings
from clusterradar.warehouse import reviews
from clusterradar.warehouse.db import connect, transaction

FILTER_KEYS = ("bundesland", "dimension", "label", "run", "quarter")
SESSION_COOKIE = "clusterradar_session"
LOGIN_COOKIE = "clusterradar_login"
LOGIN_MAX_BODY = 32 * 1024  # bytes; a login form is far smaller (name <= 64, password <= 1024)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
REASON_DE = {
    "differs": "weicht ab",
    "low_confidence": "unsicher",
    "new_cluster": "neues Cluster",
    "unclassified": "Dimension unbelegt",
    "confirms": "bestätigt",
}
STATE_DE = {
    "open": "offen",
    "concluded": "entschieden",
    "awaiting_second": "wartet auf zweite Prüfung",
    "decided_by_you": "von Ihnen entschieden; wartet auf zweite Prüfung",
    "closed_group": "Dimension entschieden",
}
MESSAGES = {
    "accept": "Vorschlag angenommen.",
    "reject": "Vorschlag abgelehnt.",
    "override": "Klassifikation überschrieben.",
    "pending": "Entscheidung gespeichert; sie wird wirksam, wenn eine zweite Person zustimmt.",
    "empty": "Keine offenen Vorschläge mehr.",
    "logout": "Abgemeldet.",
}
HTTP_ERRORS_DE = {
    403: "Sicherheitsprüfung fehlgeschlagen (CSRF-Token fehlt oder ist falsch). Bitte die Seite "
    "neu laden und noch einmal versuchen.",
    404: "Diese Seite gibt es nicht.",
    405: "Diese Aktion ist hier nicht erlaubt.",
}
CSRF_FAILED = "CSRF token missing or wrong"


class LoginRequired(Exception):
    """Raised by handlers without a live session; answered with a redirect to /login."""

    def __init__(self, next_path: str):
        self.next_path = next_path


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


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("clusterradar.review", "templates"),
        autoescape=True,  # everywhere, whatever the file extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        label_de=vocabulary.label_de,
        land_de=vocabulary.land_de,
        dimension_label=vocabulary.dimension_label,
        choices=vocabulary.choices,
        is_multi_label=vocabulary.is_multi_label,
        http_url=http_url,
        request_key=new_request_key,
        reason_de=REASON_DE,
        state_de=STATE_DE,
    )
    env.filters["score"] = lambda value: f"{value:.2f}" if value is not None else "–"
    env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M") if value else "–"
    return env


def create_app(settings: Settings) -> FastAPI:
    """Build the app for one warehouse file. Reads (or creates) the secret key once."""
    db_path = Path(settings.db)
    review = settings.review
    timeout = settings.lock_timeout
    with connect(db_path, timeout=timeout) as con, transaction(con):
        secret = auth.secret_key(con, review.secret_key)
    session_signer = auth.CookieSigner(secret, "session")
    login_signer = auth.CookieSigner(secret, "login")
    throttle = auth.LoginThrottle()
    templates = Jinja2Templates(env=_environment())

    app = FastAPI(title="Clusterradar review", docs_url=None, redoc_url=None, openapi_url=None)
    static_dir = resources.files("clusterradar.review").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    app.state.settings = settings
    app.state.login_throttle = throttle

    @app.middleware("http")
    async def login_body_limit(request: Request, call_next):
        """Refuse an oversized login form before it is read (no parsing, no throttle key)."""
        if request.method == "POST" and request.url.path == "/login":
            length = request.headers.get("content-length", "")
            if not length.isdigit():
                return PlainTextResponse("Länge der Anfrage fehlt.", status_code=411)
            if int(length) > LOGIN_MAX_BODY:
                return PlainTextResponse("Anmeldedaten zu lang.", status_code=413)
        return await call_next(request)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired):
        return RedirectResponse("/login?" + urlencode({"next": exc.next_path}), status_code=303)

    @app.exception_handler(ClusterradarError)
    async def clusterradar_error(request: Request, exc: ClusterradarError):
        status = 404 if isinstance(exc, NotFoundError) else 400
        headers = None
        if isinstance(exc, WarehouseLockedError):
            status, headers = 503, {"Retry-After": "10"}
        return templates.TemplateResponse(
            request,
            "error.html",
            {"message": None, "error": german(exc), "session": None, "csrf_token": ""},
            status_code=status,
            headers=headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        """Framework errors (403 CSRF, 404 unknown path, 405) as a German page, not JSON."""
        text = HTTP_ERRORS_DE.get(exc.status_code, f"Fehler {exc.status_code}.")
        return templates.TemplateResponse(
            request,
            "error.html",
            {"message": None, "error": text, "session": None, "csrf_token": ""},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    def render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
        context = {"message": None, "session": None, "csrf_token": "", **context}
        return templates.TemplateResponse(request, name, context, status_code=status)

    def session_of(request: Request, con=None) -> auth.Session:
        """The live session of this request (looked up on `con` when given, saving a
        connection), else LoginRequired."""
        token = session_signer.unsign(request.cookies.get(SESSION_COOKIE))
        session = None
        if token and con is not None:
            session = auth.session_for_token(con, token)
        elif token:
            with connect(db_path, timeout=timeout) as own:
                session = auth.session_for_token(own, token)
        if session is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(local_path(target))
        return session

    def check_csrf(session: auth.Session, token: str) -> None:
        if not auth.tokens_match(session.csrf_token, token):
            raise HTTPException(status_code=403, detail=CSRF_FAILED)

    def secure(request: Request) -> bool:
        return request.url.scheme == "https"

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/", msg: str = "") -> Response:
        login_token = login_signer.unsign(request.cookies.get(LOGIN_COOKIE))
        fresh = login_token is None
        login_token = login_token or secrets.token_urlsafe(32)
        response = render(
            request,
            "login.html",
            {
                "session": None,
                "next": local_path(next),
                "csrf_token": login_token,
                "error": None,
                "message": MESSAGES.get(msg),
            },
        )
        if fresh:
            response.set_cookie(
                LOGIN_COOKIE,
                login_signer.sign(login_token),
                httponly=True,
                samesite="lax",
                secure=secure(request),
            )
        return response

    @app.post("/login")
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        expected = login_signer.unsign(request.cookies.get(LOGIN_COOKIE))
        if not auth.tokens_match(expected, csrf_token):
            raise HTTPException(status_code=403, detail=CSRF_FAILED)
        client = request.client.host if request.client else "unknown"
        keys = (username, client)
        failed_page = {
            "session": None,
            "next": local_path(next),
            "csrf_token": csrf_token,
            "error": "Name oder Passwort falsch.",
            "message": None,
        }
        if not auth.login_input_acceptable(username, password):
            return render(request, "login.html", failed_page, status=401)
        ticket = throttle.begin(*keys)
        if ticket is None:
            return render(
                request,
                "login.html",
                {
                    "session": None,
                    "next": local_path(next),
                    "csrf_token": csrf_token,
                    "error": "Zu viele Fehlversuche. Bitte einige Minuten warten.",
                    "message": None,
                },
                status=429,
            )
        try:
            with connect(db_path, timeout=timeout) as con:
                user = auth.authenticate(con, username, password)
                if user is not None:
                    with transaction(con):
                        token, _ = auth.create_session(con, user, review.session_hours)
        except WarehouseLockedError:
            throttle.release(*keys, ticket)
            raise
        if user is None:
            return render(request, "login.html", failed_page, status=401)
        throttle.succeeded(*keys, ticket)
        response = RedirectResponse(local_path(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session_signer.sign(token),
            max_age=review.session_hours * 3600,
            httponly=True,
            samesite="lax",
            secure=secure(request),
        )
        response.delete_cookie(LOGIN_COOKIE)
        return response

    @app.post("/logout")
    def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
        session = session_of(request)
        check_csrf(session, csrf_token)
        token = session_signer.unsign(request.cookies.get(SESSION_COOKIE))
        with connect(db_path, timeout=timeout) as con, transaction(con):
            auth.end_session(con, token or "")
        response = RedirectResponse("/login?msg=logout", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    def filters_of(bundesland, dimension, label, run, quarter) -> QueueFilters:
        return QueueFilters(
            bundesland=bundesland.strip() or None,
            dimension=dimension.strip() or None,
            label=label.strip() or None,
            run_id=run.strip() or None,
            quarter=quarter.strip() or None,
        )

    @app.get("/", response_class=HTMLResponse)
    def queue_page(
        request: Request,
        bundesland: str = "",
        dimension: str = "",
        label: str = "",
        run: str = "",
        quarter: str = "",
        msg: str = "",
    ) -> Response:
        filters = filters_of(bundesland, dimension, label, run, quarter)
        with connect(db_path, timeout=timeout) as con:
            session = session_of(request, con)
            try:
                filters = check_filters(con, filters)
            except InputError as exc:
                return render(
                    request,
                    "error.html",
                    {
                        "session": session,
                        "csrf_token": session.csrf_token,
                        "error": german(exc),
                        "filter_error": True,
                    },
                    status=400,
                )
            page = load_queue_page(con, review, session.user_name, filters)
        params = filters.as_params()
        first = page.queue.items[0].candidate if page.queue.items else None
        return render(
            request,
            "queue.html",
            {
                "session": session,
                "csrf_token": session.csrf_token,
                "page": page,
                "reasons": REASONS,
                "dimensions": vocabulary.dimension_keys(),
                "filter_query": urlencode(params),
                "next_url": _cluster_url(first, params) if first else "",
                "message": MESSAGES.get(msg),
                "four_eyes": review.four_eyes,
            },
        )

    @app.get("/next")
    def next_item(
        request: Request,
        after: str = "",
        bundesland: str = "",
        dimension: str = "",
        label: str = "",
        run: str = "",
        quarter: str = "",
        msg: str = "",
    ) -> Response:
        """Go to the queue item after `after` (the first one when `after` is done or unknown)."""
        filters = filters_of(bundesland, dimension, label, run, quarter)
        with connect(db_path, timeout=timeout) as con:
            session = session_of(request, con)
            filters = check_filters(con, filters)
            items = load_pending(con, review, viewer=session.user_name, filters=filters)
        items = [item for item in items if matches(item, filters)]
        item = next_after(items, after or None)
        params = filters.as_params()
        if item is None:
            return RedirectResponse("/?" + urlencode({**params, "msg": msg or "empty"}), 303)
        return RedirectResponse(_cluster_url(item.candidate, params, msg), status_code=303)

    @app.get("/clusters/{cluster_id}", response_class=HTMLResponse)
    def cluster_page(
        request: Request,
        cluster_id: str,
        s: Annotated[str, Query(description="suggestion in focus")] = "",
        msg: str = "",
        bundesland: str = "",
        dimension: str = "",
        label: str = "",
        run: str = "",
        quarter: str = "",
    ) -> Response:
        with connect(db_path, timeout=timeout) as con:
            session = session_of(request, con)
            page = load_cluster_page(
                con, cluster_id, viewer=session.user_name, four_eyes=review.four_eyes
            )
        open_ids = [
            view.candidate.suggestion_id
            for views in page.suggestions.values()
            for view in views
            if view.state in {"open", "awaiting_second"}
        ]
        focus = s if s in open_ids else (open_ids[0] if open_ids else "")
        params = filters_of(bundesland, dimension, label, run, quarter).as_params()
        return render(
            request,
            "cluster.html",
            {
                "session": session,
                "csrf_token": session.csrf_token,
                "page": page,
                "focus": focus,
                "message": MESSAGES.get(msg),
                "next_url": "/next?" + urlencode({**params, "after": focus}),
                "filter_params": params,
                "four_eyes": review.four_eyes,
            },
        )

    @app.get("/clusters/{cluster_id}/history", response_class=HTMLResponse)
    def history_page(request: Request, cluster_id: str) -> Response:
        with connect(db_path, timeout=timeout) as con:
            session = session_of(request, con)
            page = load_cluster_page(con, cluster_id)
        return render(
            request,
            "history.html",
            {"session": session, "csrf_token": session.csrf_token, "page": page},
        )

    @app.post("/suggestions/{suggestion_id}/decide")
    def decide(
        request: Request,
        suggestion_id: str,
        action: Annotated[str, Form()] = "",
        csrf_token: Annotated[str, Form()] = "",
        labels: Annotated[list[str] | None, Form()] = None,
        comment: Annotated[str, Form()] = "",
        then: Annotated[str, Form()] = "next",
        filters: Annotated[str, Form()] = "",
        request_key: Annotated[str, Form()] = "",
    ) -> Response:
        session = session_of(request)
        check_csrf(session, csrf_token)
        try:
            outcome = record_decision(
                db_path,
                suggestion_id=suggestion_id,
                action=action,
                reviewer=session.user_name,
                labels=[label for label in labels or [] if label] if action == "override" else None,
                comment=comment[:2000],
                four_eyes=review.four_eyes,
                timeout=timeout,
                request_key=request_key or None,
            )
        except InputError as exc:
            return render(
                request,
                "error.html",
                {"session": session, "csrf_token": session.csrf_token, "error": german(exc)},
                status=400,
            )
        msg = action if outcome.concluded else "pending"
        if then == "cluster":
            cluster = quote(outcome.decision.cluster_id, safe="")
            return RedirectResponse(f"/clusters/{cluster}?" + urlencode({"msg": msg}), 303)
        kept = {k: v for k, v in parse_qsl(filters) if k in FILTER_KEYS}
        query = urlencode({**kept, "after": suggestion_id, "msg": msg})
        return RedirectResponse(f"/next?{query}", status_code=303)

    @app.get("/snapshots/{snapshot_id}", response_class=HTMLResponse)
    def snapshot_page(request: Request, snapshot_id: str, passage: str = "") -> Response:
        with connect(db_path, timeout=timeout) as con:
            session = session_of(request, con)
            snapshot = reviews.load_snapshot(con, snapshot_id)
        if snapshot is None:
            raise not_found(
                f"no page snapshot {snapshot_id!r}",
                f"Kein gespeicherter Seitenstand {snapshot_id!r}.",
            )
        text = snapshot.extracted_text or ""
        at = text.find(passage) if passage else -1
        parts = (text[:at], passage, text[at + len(passage) :]) if at >= 0 else (text, "", "")
        return render(
            request,
            "snapshot.html",
            {
                "session": session,
                "csrf_token": session.csrf_token,
                "snapshot": snapshot,
                "parts": parts,
            },
        )

    @app.get("/agreement", response_class=HTMLResponse)
    def agreement_page(request: Request) -> Response:
        with connect(db_path, timeout=timeout) as con:
            session = session_of(request, con)
            pairs = pair_agreement(reviews.all_decisions(con))
        return render(
            request,
            "agreement.html",
            {
                "session": session,
                "csrf_token": session.csrf_token,
                "pairs": pairs,
                "four_eyes": review.four_eyes,
                "today": dt.date.today(),
            },
        )

    if review.trusted_proxies:
        # Only then is X-Forwarded-For believed, and only from these addresses; the client
        # address feeds the login throttle, so a spoofable one would reset it.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=review.trusted_proxies)
    return app


def _cluster_url(candidate, params: dict[str, str], msg: str = "") -> str:
    query = {**params, "s": candidate.suggestion_id}
    if msg:
        query["msg"] = msg
    return f"/clusters/{quote(candidate.cluster_id, safe='')}?" + urlencode(query)
