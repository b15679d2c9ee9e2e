"""The queue page (``/``) and the step to the next queue item (``/next``)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clusterradar.errors import InputError
from clusterradar.review import vocabulary
from clusterradar.review.messages import german
from clusterradar.review.pages import check_filters, load_pending, load_queue_page
from clusterradar.review.queue import REASONS, matches, next_after
from clusterradar.review.routes.deps import MESSAGES, Context, FiltersDep, SessionDep
from clusterradar.warehouse.reviews import QueueCandidate

router = APIRouter()


def cluster_url(candidate: QueueCandidate, params: dict[str, str], msg: str = "") -> str:
    """The cluster page with `candidate` in focus, keeping the queue filters."""
    query = {**params, "s": candidate.suggestion_id}
    if msg:
        query["msg"] = msg
    return f"/clusters/{quote(candidate.cluster_id, safe='')}?" + urlencode(query)


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request, context: Context, session: SessionDep, filters: FiltersDep, msg: str = ""
) -> Response:
    with context.warehouse.unit() as con:
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
        page = load_queue_page(con, context.review, session.user_name, filters)
    params = filters.as_params()
    first = page.queue.items[0].candidate if page.queue.items else None
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
            "next_url": cluster_url(first, params) if first else "",
            "message": MESSAGES.get(msg),
            "four_eyes": context.review.four_eyes,
        },
    )


@router.get("/next")
def next_item(
    context: Context, session: SessionDep, filters: FiltersDep, after: str = "", msg: str = ""
) -> Response:
    """Go to the queue item after `after` (the first one when `after` is done or unknown)."""
    with context.warehouse.unit() as con:
        filters = check_filters(con, filters)
        items = load_pending(con, context.review, viewer=session.user_name, filters=filters)
    items = [item for item in items if matches(item, filters)]
    item = next_after(items, after or None)
    params = filters.as_params()
    if item is None:
        return RedirectResponse("/?" + urlencode({**params, "msg": msg or "empty"}), 303)
    return RedirectResponse(cluster_url(item.candidate, params, msg), status_code=303)
