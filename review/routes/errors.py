"""Error handlers and middlewares of the review app, registered in one place.

Errors are answered as German pages (never JSON); a request without a session is redirected to
the login; every response carries the security headers (a strict Content-Security-Policy
forbids inline scripts and framing); an oversized login form is refused before it is read.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from clusterradar.errors import ClusterradarError, NotFoundError, WarehouseLockedError
from clusterradar.review.messages import german
from clusterradar.review.routes.deps import AppContext, LoginRequired, login_redirect_query
from clusterradar.texts import CATALOGUE, text

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


def register(app: FastAPI, context: AppContext) -> None:
    """Install the middlewares and exception handlers on `app`."""

    @app.middleware("http")
    async def login_body_limit(request: Request, call_next):
        """Refuse an oversized login form before it is read (no parsing, no throttle key)."""
        if request.method == "POST" and request.url.path == "/login":
            length = request.headers.get("content-length", "")
            if not length.isdigit():
                return PlainTextResponse(text("app.length_required"), status_code=411)
            if int(length) > LOGIN_MAX_BODY:
                return PlainTextResponse(text("app.login_too_long"), status_code=413)
        return await call_next(request)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired):
        return RedirectResponse(login_redirect_query(exc.next_path), status_code=303)

    @app.exception_handler(ClusterradarError)
    async def clusterradar_error(request: Request, exc: ClusterradarError):
        status = 404 if isinstance(exc, NotFoundError) else 400
        headers = None
        if isinstance(exc, WarehouseLockedError):
            status, headers = 503, {"Retry-After": "10"}
        response = context.render(request, "error.html", {"error": german(exc)}, status=status)
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        """Framework errors (403 CSRF, 404 unknown path, 405) as a page in the app's language."""
        key = f"app.http_{exc.status_code}"
        shown = text(key if key in CATALOGUE["de"] else "app.http_error", code=exc.status_code)
        response = context.render(request, "error.html", {"error": shown}, status=exc.status_code)
        if getattr(exc, "headers", None):
            response.headers.update(exc.headers)
        return response
