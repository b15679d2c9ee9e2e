"""The cluster page, its history page and the stored page snapshots its evidence links to."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from clusterradar import texts
from clusterradar.review.messages import not_found
from clusterradar.review.pages import load_cluster_page, queue_reasons
from clusterradar.review.routes.deps import Context, FiltersDep, SessionCookieDep, WarehouseDep
from clusterradar.review.routes.queue import message_for
from clusterradar.warehouse import reviews

router = APIRouter()


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(
    request: Request,
    cluster_id: str,
    context: Context,
    warehouse: WarehouseDep,
    cookie: SessionCookieDep,
    filters: FiltersDep,
    s: Annotated[str, Query(description="suggestion in focus")] = "",
    msg: str = "",
    done: str = "",
) -> Response:
    with warehouse.unit() as con:
        session = cookie.session(con)
        page = load_cluster_page(
            con, cluster_id, viewer=session.user_name, four_eyes=context.review.four_eyes
        )
        # Each open suggestion's queue group, so that after deciding it the queue continues
        # after its place (see /next).
        reasons = queue_reasons(page, context.review, session.user_name)
        message = message_for(con, msg, done)
    open_ids = [
        view.candidate.suggestion_id
        for views in page.suggestions.values()
        for view in views
        if view.state in {"open", "awaiting_second"}
    ]
    focus = s if s in open_ids else (open_ids[0] if open_ids else "")
    params = filters.as_params()
    next_query = {**params, "after": focus, "reason": reasons.get(focus, "")}
    return context.render(
        request,
        "cluster.html",
        {
            "session": session,
            "csrf_token": session.csrf_token,
            "page": page,
            "focus": focus,
            "message": message,
            "next_url": "/next?" + urlencode({k: v for k, v in next_query.items() if v}),
            "skip_url": "/next?" + urlencode({**next_query, "msg": "skip", "done": focus}),
            "reasons": reasons,
            "filter_params": params,
            "four_eyes": context.review.four_eyes,
        },
    )


@router.get("/clusters/{cluster_id}/history", response_class=HTMLResponse)
def history_page(
    request: Request,
    cluster_id: str,
    context: Context,
    warehouse: WarehouseDep,
    cookie: SessionCookieDep,
) -> Response:
    with warehouse.unit() as con:
        session = cookie.session(con)
        page = load_cluster_page(con, cluster_id)
    return context.render(
        request,
        "history.html",
        {"session": session, "csrf_token": session.csrf_token, "page": page},
    )


@router.get("/snapshots/{snapshot_id}", response_class=HTMLResponse)
def snapshot_page(
    request: Request,
    snapshot_id: str,
    context: Context,
    warehouse: WarehouseDep,
    cookie: SessionCookieDep,
    passage: str = "",
) -> Response:
    with warehouse.unit() as con:
        session = cookie.session(con)
        snapshot = reviews.load_snapshot(con, snapshot_id)
    if snapshot is None:
        raise not_found(
            f"no page snapshot {snapshot_id!r}",
            texts.text("error.no_snapshot", snapshot=snapshot_id),
        )
    text = snapshot.extracted_text or ""
    at = text.find(passage) if passage else -1
    parts = (text[:at], passage, text[at + len(passage) :]) if at >= 0 else (text, "", "")
    return context.render(
        request,
        "snapshot.html",
        {
            "session": session,
            "csrf_token": session.csrf_token,
            "snapshot": snapshot,
            "parts": parts,
        },
    )
