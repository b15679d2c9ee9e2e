"""The queue page (``/``) and the step to the next queue item (``/next``)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clusterradar.errors import InputError
from clusterradar.review import vocabulary
from clusterradar.review.messages import german
from clusterradar.review.pages import (
    check_filters,
    confirmation,
    load_next,
    load_queue_page,
)
from clusterradar.review.queue import REASONS
from clusterradar.review.routes.deps import (
    MESSAGES,
    Context,
    FiltersDep,
    SessionCookieDep,
    WarehouseDep,
)
from clusterradar.warehouse.reviews import QueueCandidate

router = APIRouter()


def cluster_url(candidate: QueueCandidate, params: dict[str, str], **extra: str) -> str:
    """The cluster page with `candidate` in focus, keeping the queue filters (and `extra`
    parameters that are set, such as the confirmation to show)."""
    query = {**params, "s": candidate.suggestion_id, **{k: v for k, v in extra.items() if v}}
    return f"/clusters/{quote(candidate.cluster_id, safe='')}?" + urlencode(query)


def message_for(con: duckdb.DuckDBPyConnection, msg: str, done: str, end: str = "") -> str | None:
    """What the page confirms: the decision (or skip) naming the initiative when `done` is the
    suggestion just decided, else the generic message for `msg`; then, at the end of the
    queue (`end` is 'end' or 'empty'), that."""
    named = confirmation(con, msg, done) if done else None
    parts = [named or MESSAGES.get(msg), MESSAGES.get(end) if end in ("end", "empty") else None]
    return " ".join(part for part in parts if part) or None


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request,
    context: Context,
    warehouse: WarehouseDep,
    cookie: SessionCookieDep,
    filters: FiltersDep,
    msg: str = "",
    done: str = "",
    end: str = "",
    n: int = 0,
    of: int = 0,
    p: int = 1,
) -> Response:
    with warehouse.unit() as con:
        session = cookie.session(con)
        try:
            filters = check_filters(con, filters)
        except InputError as exc:
            return context.render(
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
        page = load_queue_page(
            con, context.review, session.user_name, filters, p, index=context.queue
        )
        message = message_for(con, msg, done, end)
    if msg == "bulk":
        message = MESSAGES["bulk_done" if n == of else "bulk_pending"].format(n=n, of=of)
    params = filters.as_params()
    window = page.window
    # `n` opens the first item this page lists (on page 3, item 201), not the queue's first.
    first = window.items[0].candidate if window.items else None
    return context.render(
        request,
        "queue.html",
        {
            "session": session,
            "csrf_token": session.csrf_token,
            "page": page,
            "reasons": REASONS,
            "dimensions": vocabulary.dimension_keys(),
            "filter_query": urlencode(params),
            "filter_params": params,
            "next_url": cluster_url(first, params) if first else "",
            "window": window,
            "previous_page_url": "/?" + urlencode({**params, "p": window.number - 1}),
            "next_page_url": "/?" + urlencode({**params, "p": window.number + 1}),
            "message": message,
            "four_eyes": context.review.four_eyes,
        },
    )


@router.get("/next")
def next_item(
    context: Context,
    warehouse: WarehouseDep,
    cookie: SessionCookieDep,
    filters: FiltersDep,
    after: str = "",
    reason: str = "",
    msg: str = "",
    done: str = "",
) -> Response:
    """Go to the queue item after `after`. When `after` has left the queue (just decided),
    `reason` (its queue group as the reviewer saw it) gives its place, and the queue continues
    after that place; at the end of the queue the queue page is shown, never its first item."""
    with warehouse.unit() as con:
        session = cookie.session(con)
        filters = check_filters(con, filters)
        item, pending = load_next(
            con,
            context.review,
            session.user_name,
            filters,
            after or None,
            reason if reason in REASONS else None,
            index=context.queue,
        )
    params = filters.as_params()
    if item is None:
        query = {**params, "msg": msg, "done": done, "end": "end" if pending else "empty"}
        return RedirectResponse("/?" + urlencode({k: v for k, v in query.items() if v}), 303)
    return RedirectResponse(cluster_url(item.candidate, params, msg=msg, done=done), 303)
