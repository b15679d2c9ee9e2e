"""Commands of the review stage (thin Typer shell; logic lives in plain functions).

`clusterradar review serve | add-user | list | show | accept | reject | override | agreement`.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Annotated

import typer

from clusterradar.errors import InputError
from clusterradar.options import settings_of
from clusterradar.warehouse.db import connect, transaction

review_app = typer.Typer(
    help="Review suggestions: the web app and its command-line equivalents.",
    no_args_is_help=True,
)

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
PAST = {"accept": "accepted", "reject": "rejected", "override": "overridden"}

Reviewer = Annotated[
    str, typer.Option("--reviewer", help="Name of the reviewing account (see add-user).")
]
Comment = Annotated[str | None, typer.Option("--comment", help="Why (kept with the decision).")]


def _settings(ctx: typer.Context):
    return settings_of(ctx)


def _json(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


@review_app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port, 1-65535 (default 8000).")
    ] = None,
) -> None:
    """Start the review web app (uvicorn). Bound to localhost unless --host says otherwise."""
    import uvicorn

    from clusterradar.review.app import create_app

    settings = _settings(ctx)
    host = host or settings.review.host
    port = port or settings.review.port
    if host not in LOCAL_HOSTS:
        typer.secho(
            f"WARNING: binding to {host}: the review app is reachable from other machines. "
            "Put it behind HTTPS (a reverse proxy) so session cookies are sent as Secure, "
            "and only expose it on networks you trust.",
            fg=typer.colors.RED,
            bold=True,
            err=True,
        )
    app = create_app(settings)
    typer.echo(f"review app for {settings.db} on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    # Forwarded headers are the app's business (review.trusted_proxies), never uvicorn's
    # default of trusting them from 127.0.0.1: that would let anyone on this host spoof addresses.
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InputError("no password on standard input")
        return password
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Repeat password", hide_input=True)
    if first != second:
        raise InputError("the two passwords differ; nothing was saved")
    return first


@review_app.command("add-user")
def add_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name (letters, digits, '.', '_', '-').")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the account an admin.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a reviewer account (password prompted twice, or read from standard input)."""
    from clusterradar.review import auth

    settings = _settings(ctx)
    auth.check_user_name(name)
    password = auth.check_password(_read_password(password_stdin))
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        auth.create_user(con, name, password, is_admin=admin)
    typer.echo(f"added {'admin ' if admin else ''}user {name}")


@review_app.command("list")
def list_pending(
    ctx: typer.Context,
    dimension: Annotated[str | None, typer.Option(help="Only this dimension.")] = None,
    bundesland: Annotated[
        str | None, typer.Option(help="Only clusters in this Land (slug).")
    ] = None,
    label: Annotated[str | None, typer.Option(help="Only suggestions of this label key.")] = None,
    run: Annotated[str | None, typer.Option(help="Use this classification run.")] = None,
    quarter: Annotated[
        str | None, typer.Option(help="Use the latest run of this quarter (e.g. 2026Q4).")
    ] = None,
    reviewer: Annotated[
        str | None, typer.Option(help="Four-eyes mode: hide what this reviewer decided.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List pending suggestions, most useful first (same order as the web queue)."""
    from clusterradar.review.pages import check_filters, load_pending
    from clusterradar.review.queue import QueueFilters, build_queue

    settings = _settings(ctx)
    with connect(settings.db, timeout=settings.lock_timeout) as con:
        filters = check_filters(con, QueueFilters(bundesland, dimension, label, run, quarter))
        items = load_pending(con, settings.review, viewer=reviewer, filters=filters)
    queue = build_queue(items, filters)
    rows = [
        {
            "suggestion_id": item.suggestion_id,
            "cluster_id": item.candidate.cluster_id,
            "cluster_name": item.candidate.cluster_name,
            "bundeslaender": item.candidate.bundeslaender,
            "dimension": item.candidate.dimension,
            "label": item.candidate.label_key,
            "score": round(item.candidate.score, 4),
            "rank": item.candidate.rank,
            "current_labels": item.current_labels,
            "reason": item.reason,
            "awaiting_second": item.awaiting_second,
            "run_id": item.candidate.run_id,
            "quarter": item.candidate.quarter,
        }
        for item in queue.items
    ]
    if as_json:
        typer.echo(_json({"pending": queue.total_pending, "shown": len(rows), "suggestions": rows}))
        return
    typer.echo(f"{len(rows)} shown of {queue.total_pending} pending")
    for row in rows:
        current = (
            "-" if row["current_labels"] is None else ",".join(row["current_labels"]) or "(none)"
        )
        typer.echo(
            f"{row['suggestion_id']}  {row['cluster_id']}  {row['dimension']}={row['label']} "
            f"score={row['score']:.2f}  now={current}  [{row['reason']}]"
        )


@review_app.command("show")
def show(
    ctx: typer.Context,
    cluster: Annotated[str, typer.Argument(help="Cluster id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a cluster: registry facts, labels in force, suggestions with evidence, history."""
    from clusterradar.review import vocabulary
    from clusterradar.review.pages import load_cluster_page

    settings = _settings(ctx)
    with connect(settings.db, timeout=settings.lock_timeout) as con:
        page = load_cluster_page(con, cluster, four_eyes=settings.review.four_eyes)
    if as_json:
        data = dataclasses.asdict(page)
        data["name"] = page.name
        typer.echo(_json(data))
        return
    typer.echo(f"{page.name} ({page.cluster_id})")
    if page.facts:
        f = page.facts
        typer.echo(
            f"  Bundesland: {', '.join(f.bundeslaender) or '-'}   website: {f.website or '-'}"
        )
    typer.echo("In force:")
    for v in page.effective:
        labels = ", ".join(vocabulary.label_de(v.dimension, k) for k in v.labels) or "(none)"
        who = f" by {v.decided_by}" if v.decided_by else ""
        typer.echo(f"  {v.dimension}: {labels}  (since {v.valid_from}, {v.source}{who})")
    typer.echo("Suggestions:")
    for dimension, views in page.suggestions.items():
        for view in views:
            c = view.candidate
            typer.echo(
                f"  {c.suggestion_id}  {dimension}={c.label_key} #{c.rank} "
                f"score={c.score:.2f}  [{view.state}]"
            )
            for e in view.evidence:
                typer.echo(f"      - {e.passage[:160]!r}  ({e.reason}; {e.url or '-'})")
    typer.echo("History:")
    for v in page.versions:
        typer.echo(
            f"  {v.valid_from} → {v.valid_to or '…'}  "
            f"{v.dimension}={','.join(v.labels) or '(none)'}"
            f"  {v.source} {v.decided_by or ''}"
        )


def _decide(
    ctx: typer.Context,
    suggestion_id: str,
    action: str,
    reviewer: str,
    labels,
    comment,
    force: bool = False,
):
    from clusterradar.review import auth
    from clusterradar.review.decisions import record_decision

    settings = _settings(ctx)
    with connect(settings.db, timeout=settings.lock_timeout) as con:
        auth.require_active_user(con, reviewer)
    outcome = record_decision(
        settings.db,
        suggestion_id=suggestion_id,
        action=action,
        reviewer=reviewer,
        labels=labels,
        comment=comment,
        four_eyes=settings.review.four_eyes,
        force=force,
        timeout=settings.lock_timeout,
    )
    d = outcome.decision
    if not outcome.concluded:
        typer.echo(
            f"saved {action} of {suggestion_id} by {reviewer}; four-eyes mode: takes effect when a "
            "second reviewer agrees"
        )
    elif action == "reject":
        typer.echo(f"rejected {suggestion_id}; {d.cluster_id} {d.dimension} unchanged")
    else:
        typer.echo(
            f"{PAST[action]} {suggestion_id}: {d.cluster_id} {d.dimension} = "
            f"{','.join(outcome.labels_in_force or []) or '(none)'} from {d.decided_at.date()}"
        )


@review_app.command("accept")
def accept(
    ctx: typer.Context,
    suggestion_id: Annotated[str, typer.Argument(help="Suggestion id (see review list).")],
    reviewer: Reviewer,
    comment: Comment = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Accept even if a newer finished run has suggestions for this cluster and "
            "dimension (the suggestion is superseded).",
        ),
    ] = False,
) -> None:
    """Accept a suggestion: its label takes effect from today (joins a multi-label set).
    Refuses a suggestion superseded by a newer finished run unless --force."""
    _decide(ctx, suggestion_id, "accept", reviewer, None, comment, force)


@review_app.command("reject")
def reject(
    ctx: typer.Context,
    suggestion_id: Annotated[str, typer.Argument(help="Suggestion id (see review list).")],
    reviewer: Reviewer,
    comment: Comment = None,
) -> None:
    """Reject a suggestion: the classification in force stays as it is."""
    _decide(ctx, suggestion_id, "reject", reviewer, None, comment)


@review_app.command("override")
def override(
    ctx: typer.Context,
    suggestion_id: Annotated[str, typer.Argument(help="Suggestion id (see review list).")],
    label: Annotated[
        list[str],
        typer.Option("--label", help="Label key to put in force (repeat for multi-label)."),
    ],
    reviewer: Reviewer,
    comment: Comment = None,
) -> None:
    """Override a suggestion with other label(s); they take effect from today."""
    _decide(ctx, suggestion_id, "override", reviewer, label, comment)


@review_app.command("agreement")
def agreement(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Agreement rate per reviewer pair over the suggestions both decided."""
    from clusterradar.review.agreement import pair_agreement
    from clusterradar.warehouse import reviews

    settings = _settings(ctx)
    with connect(settings.db, timeout=settings.lock_timeout) as con:
        pairs = pair_agreement(reviews.all_decisions(con))
    if as_json:
        typer.echo(_json([{**dataclasses.asdict(p), "rate": p.rate} for p in pairs]))
        return
    if not pairs:
        typer.echo("no suggestion was decided by two reviewers yet")
    for p in pairs:
        typer.echo(f"{p.reviewer_a} / {p.reviewer_b}: {p.agreed}/{p.shared} agreed ({p.rate:.0%})")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the root app."""
    app.add_typer(review_app, name="review")
