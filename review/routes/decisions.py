"""Saving a reviewer's decision on one suggestion, or bulk accepts (rules: review.decisions)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from clusterradar.errors import InputError
from clusterradar.review.decisions import record_bulk_accept, record_decision
from clusterradar.review.messages import german
from clusterradar.review.queue import REASONS
from clusterradar.review.routes.deps import (
    FILTER_KEYS,
    Context,
    SessionCookieDep,
    WarehouseDep,
    check_csrf,
)
from clusterradar.texts import text

router = APIRouter()


@router.post("/suggestions/{suggestion_id}/decide")
def decide(
    request: Request,
    suggestion_id: str,
    context: Context,
    warehouse: WarehouseDep,
    cookie: SessionCookieDep,
    action: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    labels: Annotated[list[str] | None, Form()] = None,
    comment: Annotated[str, Form()] = "",
    then: Annotated[str, Form()] = "next",
    filters: Annotated[str, Form()] = "",
    request_key: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    # One unit of work for the session and the decision: the decision's own unit nests in it
    # on this thread, so the warehouse file is opened once per request.
    with warehouse.unit() as con:
        session = cookie.session(con)
        check_csrf(session, csrf_token)
        try:
            outcome = record_decision(
                warehouse.path,
                suggestion_id=suggestion_id,
                action=action,
                reviewer=session.user_name,
                labels=[label for label in labels or [] if label] if action == "override" else None,
                comment=comment[:2000],
                four_eyes=context.review.four_eyes,
                timeout=warehouse.timeout,
                request_key=request_key or None,
            )
        except InputError as exc:
            return context.render(
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
    place = {"reason": reason} if reason in REASONS else {}
    query = urlencode({**kept, "after": suggestion_id, **place, "done": suggestion_id, "msg": msg})
    return RedirectResponse(f"/next?{query}", status_code=303)


@router.post("/suggestions/bulk-accept")
def bulk_accept(
    request: Request,
    context: Context,
    warehouse: WarehouseDep,
    cookie: SessionCookieDep,
    csrf_token: Annotated[str, Form()] = "",
    suggestion_ids: Annotated[list[str] | None, Form()] = None,
    filters: Annotated[str, Form()] = "",
    request_key: Annotated[str, Form()] = "",
) -> Response:
    """Accept the selected rank-1 suggestions at once (admins only): all or none, each with the
    audit trail of a single accept."""
    # One unit of work for the session and the decision: the decision's own unit nests in it
    # on this thread, so the warehouse file is opened once per request.
    with warehouse.unit() as con:
        session = cookie.session(con)
        check_csrf(session, csrf_token)
        if not session.is_admin:
            error = text("app.bulk_admin_only")
            page = {"session": session, "csrf_token": session.csrf_token, "error": error}
            return context.render(request, "error.html", page, status=403)
        try:
            outcomes = record_bulk_accept(
                warehouse.path,
                suggestion_ids=[sid for sid in suggestion_ids or [] if sid],
                reviewer=session.user_name,
                four_eyes=context.review.four_eyes,
                timeout=warehouse.timeout,
                request_key=request_key or None,
            )
        except InputError as exc:
            page = {"session": session, "csrf_token": session.csrf_token, "error": german(exc)}
            return context.render(request, "error.html", page, status=400)
    kept = {k: v for k, v in parse_qsl(filters) if k in FILTER_KEYS}
    concluded = sum(outcome.concluded for outcome in outcomes)
    query = urlencode({**kept, "msg": "bulk", "n": concluded, "of": len(outcomes)})
    return RedirectResponse(f"/?{query}", status_code=303)
