"""The read API under ``/api/v1``: what a registry or a dashboard reads instead of export files.

A thin shell: every route checks its input (:mod:`clusterradar.inputs`, page-size caps), opens
the warehouse for one short unit of work and returns what a warehouse function (or the
quarterly diff) returns, as JSON. Read-only; every route but the OpenAPI schema needs a token
created with ``clusterradar api-token create`` (``Authorization: Bearer <token>``) and answers
401 without one, with an unknown or a revoked one. The token is checked on the connection the
request reads with, so a request opens the warehouse once.

Errors are JSON too (``{"error": {"status": ..., "message": ...}}``), never the app's HTML
error pages: :class:`JsonRoute` answers them before the app's handlers see them, and a catch-all
route answers unknown paths below ``/api/v1``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from clusterradar import __version__, clock
from clusterradar.errors import ClusterradarError, InputError, NotFoundError, WarehouseLockedError
from clusterradar.inputs import parse_date, parse_quarter_flag
from clusterradar.labels import Taxonomy, load_taxonomy
from clusterradar.quarterly.diff import diff_quarters
from clusterradar.quarters import Quarter
from clusterradar.review.routes.deps import LINGER
from clusterradar.warehouse.api_tokens import token_holder
from clusterradar.warehouse.clusters import cluster_history, get_cluster, list_clusters
from clusterradar.warehouse.db import connect
from clusterradar.warehouse.export import DECISION_STATUSES, suggestion_rows
from clusterradar.warehouse.history import effective_at
from clusterradar.warehouse.reviews import evidence_for

PREFIX = "/api/v1"
DEFAULT_PAGE = 100
MAX_PAGE = 500  # items per page at most; more pages with `offset`
MAX_OFFSET = 1_000_000
MAX_ID_LENGTH = 200


class JsonRoute(APIRoute):
    """An API route whose errors are JSON: bad input 400/422, unknown 404, busy 503."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def json_errors(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                details = jsonable_encoder(exc.errors(), exclude={"ctx", "url"})
                return error_response(422, "invalid request parameters", details=details)
            except StarletteHTTPException as exc:
                return error_response(exc.status_code, str(exc.detail), headers=exc.headers)
            except NotFoundError as exc:
                return error_response(404, str(exc))
            except WarehouseLockedError as exc:
                return error_response(503, str(exc), headers={"Retry-After": "10"})
            except ClusterradarError as exc:
                return error_response(400, str(exc))

        return json_errors


class DataJSONResponse(JSONResponse):
    """JSON with ``<``, ``>`` and ``&`` written as ``\\u003c`` etc.: crawled text stays data
    even where a client pastes a response into a page (any JSON parser reads it back
    unchanged); ``X-Content-Type-Options: nosniff`` comes from the app's middleware."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
            text = text.replace(char, escaped)
        return text.encode("utf-8")


def error_response(
    status: int, message: str, *, details: Any = None, headers: dict | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"status": status, "message": message}
    if details is not None:
        body["details"] = details
    return DataJSONResponse({"error": body}, status_code=status, headers=headers)


router = APIRouter(
    prefix=PREFIX,
    tags=["read API"],
    route_class=JsonRoute,
    default_response_class=DataJSONResponse,
)
bearer = HTTPBearer(auto_error=False, description="A token from 'clusterradar api-token create'")


@contextmanager
def reading(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """One short unit of work on the app's warehouse (see :mod:`clusterradar.review.app`)."""
    settings = request.app.state.settings
    with connect(settings.db, read_only=True, timeout=settings.lock_timeout, linger=LINGER) as con:
        yield con


def unauthorised() -> HTTPException:
    return HTTPException(
        status_code=401,
        detail="missing, unknown or revoked API token; send 'Authorization: Bearer <token>'",
        headers={"WWW-Authenticate": "Bearer"},
    )


def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The request's bearer token, unchecked; 401 at once when there is none."""
    if credentials is None:
        raise unauthorised()
    return credentials.credentials


Token = Annotated[str, Depends(bearer_token)]


@contextmanager
def authorised(request: Request, token: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The unit of work of one API request, after its token was found live: checked on the
    same connection as the request's reads (one opening of the warehouse per request). 401,
    the same answer, when the token is malformed, unknown, revoked, or its account disabled."""
    with reading(request) as con:
        if token_holder(con, token) is None:
            raise unauthorised()
        yield con


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Items per page (<= {MAX_PAGE})")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]
ClusterId = Annotated[str, Query(max_length=MAX_ID_LENGTH, description="Exact cluster id")]
Dimension = Annotated[str, Query(max_length=64, description="Dimension key, e.g. intensity")]


def taxonomy() -> Taxonomy:
    return load_taxonomy()  # cached per file content


def page(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    """One page of `items` with the total, so a client knows when it has them all."""
    shown = items[offset : offset + limit]
    more = offset + len(shown) < len(items)
    return {
        "total": len(items),
        "limit": limit,
        "offset": offset,
        "next_offset": offset + len(shown) if more else None,
        "items": jsonable_encoder(shown),
    }


def as_of_param(text: str | None) -> dt.date:
    return clock.today() if text is None else parse_date(text, "as_of")


def dimension_param(text: str | None) -> str | None:
    if text is None:
        return None
    known = taxonomy().dimension_keys()
    if text not in known:
        raise InputError(f"dimension: expected one of {', '.join(known)}, got {text!r}")
    return text


def quarter_param(text: str, name: str) -> Quarter:
    return parse_quarter_flag(text, name)


def require_cluster_id(con: duckdb.DuckDBPyConnection, cluster_id: str):
    found = get_cluster(con, cluster_id) if len(cluster_id) <= MAX_ID_LENGTH else None
    if found is None:
        raise NotFoundError(f"no cluster with id {cluster_id!r}")
    return found


def classification(version, tax: Taxonomy) -> dict[str, Any]:
    """A version in force, with the German labels a person reads."""
    data = dataclasses.asdict(version)
    data["labels_de"] = [tax.label_de(version.dimension, k) or k for k in version.labels]
    return data


@router.get("/clusters", summary="Cluster initiatives")
def clusters(
    request: Request, token: Token, limit: Limit = DEFAULT_PAGE, offset: Offset = 0
) -> dict[str, Any]:
    """Every initiative the warehouse knows (registry facts), ordered by id."""
    with authorised(request, token) as con:
        found = list_clusters(con)
    return page([dataclasses.asdict(c) for c in found], limit, offset)


@router.get("/clusters/{cluster_id}", summary="One cluster initiative")
def cluster(request: Request, token: Token, cluster_id: str) -> dict[str, Any]:
    with authorised(request, token) as con:
        found = require_cluster_id(con, cluster_id)
    return jsonable_encoder(dataclasses.asdict(found))


@router.get("/classifications", summary="Effective classification of all clusters on a date")
def classifications(
    request: Request,
    token: Token,
    as_of: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")] = None,
    cluster_id: ClusterId | None = None,
    dimension: Dimension | None = None,
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The versions in force on `as_of` (default today): one per cluster and dimension."""
    tax = taxonomy()
    with authorised(request, token) as con:
        day, wanted = as_of_param(as_of), dimension_param(dimension)
        if cluster_id is not None:
            require_cluster_id(con, cluster_id)
        found = effective_at(con, day, cluster_id=cluster_id, dimension=wanted)
    result = page([classification(v, tax) for v in found], limit, offset)
    return {"as_of": day.isoformat(), **result}


@router.get(
    "/clusters/{cluster_id}/classification",
    summary="Effective classification of one cluster on a date",
)
def cluster_classification(
    request: Request,
    token: Token,
    cluster_id: str,
    as_of: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    tax = taxonomy()
    with authorised(request, token) as con:
        day = as_of_param(as_of)
        require_cluster_id(con, cluster_id)
        found = effective_at(con, day, cluster_id=cluster_id)
    return {
        "cluster_id": cluster_id,
        "as_of": day.isoformat(),
        "dimensions": jsonable_encoder([classification(v, tax) for v in found]),
    }


@router.get("/clusters/{cluster_id}/history", summary="A cluster's classification history")
def history(request: Request, token: Token, cluster_id: str) -> dict[str, Any]:
    """Every version, per dimension oldest first, with valid_from / valid_to (exclusive)."""
    with authorised(request, token) as con:
        require_cluster_id(con, cluster_id)
        entries = cluster_history(con, cluster_id, taxonomy())
    return {
        "cluster_id": cluster_id,
        "versions": jsonable_encoder([dataclasses.asdict(e) for e in entries]),
    }


@router.get("/quarters/{quarter}/suggestions", summary="A quarter's suggestions with evidence")
def suggestions(
    request: Request,
    token: Token,
    quarter: str,
    cluster_id: ClusterId | None = None,
    dimension: Dimension | None = None,
    status: Annotated[
        str | None, Query(max_length=16, description="undecided|accepted|rejected|overridden")
    ] = None,
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The rank-1 suggestion per cluster and dimension of the quarter's newest finished runs
    (the rows of ``export --suggestions``), each with its review status and evidence passages."""
    with authorised(request, token) as con:
        wanted_quarter = quarter_param(quarter, "quarter")
        wanted_dimension = dimension_param(dimension)
        if status is not None and status not in DECISION_STATUSES.values():
            raise InputError(
                f"status: expected one of {', '.join(DECISION_STATUSES.values())}, got {status!r}"
            )
        rows = [
            row
            for row in suggestion_rows(con, wanted_quarter, taxonomy())
            if (cluster_id is None or row["cluster_id"] == cluster_id)
            and (wanted_dimension is None or row["dimension"] == wanted_dimension)
            and (status is None or row["decision_status"] == status)
        ]
        shown = rows[offset : offset + limit]
        evidence = evidence_for(con, [row["suggestion_id"] for row in shown])
    for row in shown:
        row["evidence"] = [dataclasses.asdict(e) for e in evidence[row["suggestion_id"]]]
    result = page(rows, limit, offset)
    result["items"] = jsonable_encoder(shown)
    return {"quarter": str(wanted_quarter), **result}


@router.get("/diff", summary="What changed between two quarters")
def diff(
    request: Request,
    token: Token,
    from_quarter: Annotated[str, Query(alias="from", max_length=16, description="e.g. 2026Q3")],
    to_quarter: Annotated[str, Query(alias="to", max_length=16, description="e.g. 2026Q4")],
) -> dict[str, Any]:
    """Classification changes between the quarters' as-of dates, and the top suggestions that
    differ between their runs (as ``clusterradar diff --json``)."""
    with authorised(request, token) as con:
        earlier, later = quarter_param(from_quarter, "from"), quarter_param(to_quarter, "to")
        if earlier > later:
            raise InputError(f"from {earlier} is after to {later}")
        result = diff_quarters(con, earlier, later)
    return jsonable_encoder(result.as_dict())


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request) -> dict[str, Any]:
    """The OpenAPI schema of this API (the review app's HTML pages are not part of it)."""
    return api_schema()


@functools.cache
def api_schema() -> dict[str, Any]:
    """The OpenAPI document of this router's routes (built once; they never change)."""
    return get_openapi(
        title="Clusterradar read API",
        version=__version__,
        description="Read-only JSON API of the Clusterradar warehouse. Authenticate with "
        "'Authorization: Bearer <token>' (clusterradar api-token create).",
        routes=router.routes,
    )


@router.api_route(
    "/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
def unknown(request: Request, rest: str) -> Response:
    """Unknown API paths get a JSON 404, writes a JSON 405 (the API is read-only)."""
    if request.method != "GET":
        return error_response(405, "the API is read-only", headers={"Allow": "GET"})
    return error_response(404, f"no API endpoint {request.url.path}")
