"""How often pairs of reviewers agree (four-eyes mode's calibration page)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from clusterradar import clock
from clusterradar.review.agreement import pair_agreement
from clusterradar.review.routes.deps import Context, SessionCookieDep, WarehouseDep
from clusterradar.warehouse import reviews

router = APIRouter()


@router.get("/agreement", response_class=HTMLResponse)
def agreement_page(
    request: Request, context: Context, warehouse: WarehouseDep, cookie: SessionCookieDep
) -> Response:
    with warehouse.unit() as con:
        session = cookie.session(con)
        pairs = pair_agreement(reviews.all_decisions(con))
    return context.render(
        request,
        "agreement.html",
        {
            "session": session,
            "csrf_token": session.csrf_token,
            "pairs": pairs,
            "four_eyes": context.review.four_eyes,
            "today": clock.today(),
        },
    )
