"""Login and logout. The login form has no session yet, so its CSRF token is a signed
per-browser cookie; failed logins are throttled (see :class:`~.auth.LoginThrottle`)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clusterradar.errors import WarehouseLockedError
from clusterradar.review import auth
from clusterradar.review.routes.deps import (
    CSRF_FAILED,
    LOGIN_COOKIE,
    MESSAGES,
    SESSION_COOKIE,
    Context,
    SessionCookieDep,
    WarehouseDep,
    check_csrf,
    local_path,
)
from clusterradar.warehouse.db import transaction

router = APIRouter()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(next_path: str, csrf_token: str, error: str | None = None) -> dict:
    return {
        "session": None,
        "next": local_path(next_path),
        "csrf_token": csrf_token,
        "error": error,
        "message": None,
    }


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, context: Context, next: str = "/", msg: str = "") -> Response:
    login_token = context.login_signer.unsign(request.cookies.get(LOGIN_COOKIE))
    fresh = login_token is None
    login_token = login_token or secrets.token_urlsafe(32)
    page = {**_login_page(next, login_token), "message": MESSAGES.get(msg)}
    response = context.render(request, "login.html", page)
    if fresh:
        response.set_cookie(
            LOGIN_COOKIE,
            context.login_signer.sign(login_token),
            httponly=True,
            samesite="lax",
            secure=_secure(request),
        )
    return response


@router.post("/login")
def login(
    request: Request,
    context: Context,
    warehouse: WarehouseDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = context.login_signer.unsign(request.cookies.get(LOGIN_COOKIE))
    if not auth.tokens_match(expected, csrf_token):
        raise HTTPException(status_code=403, detail=CSRF_FAILED)
    client = request.client.host if request.client else "unknown"
    keys = (username, client)
    failed_page = _login_page(next, csrf_token, "Name oder Passwort falsch.")
    if not auth.login_input_acceptable(username, password):
        return context.render(request, "login.html", failed_page, status=401)
    ticket = context.throttle.begin(*keys)
    if ticket is None:
        refused = _login_page(
            next, csrf_token, "Zu viele Fehlversuche. Bitte einige Minuten warten."
        )
        return context.render(request, "login.html", refused, status=429)
    try:
        with warehouse.unit() as con:
            user = auth.authenticate(con, username, password)
            if user is not None:
                with transaction(con):
                    token, _ = auth.create_session(con, user, context.review.session_hours)
    except WarehouseLockedError:
        context.throttle.release(*keys, ticket)
        raise
    if user is None:
        return context.render(request, "login.html", failed_page, status=401)
    context.throttle.succeeded(*keys, ticket)
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        context.session_signer.sign(token),
        max_age=context.review.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request,
    context: Context,
    warehouse: WarehouseDep,
    cookie: SessionCookieDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    with warehouse.unit() as con:
        check_csrf(cookie.session(con), csrf_token)
        with transaction(con):
            auth.end_session(con, cookie.token)
    response = RedirectResponse("/login?msg=logout", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
