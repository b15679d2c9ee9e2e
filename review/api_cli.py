"""`clusterradar api-token create | list | revoke`: tokens of the read API (/api/v1).

A thin Typer shell around :mod:`clusterradar.warehouse.api_tokens`. The token itself is printed
once, by ``create``; the warehouse keeps only its sha256.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from clusterradar.options import settings_of
from clusterradar.warehouse.db import connect, transaction

token_app = typer.Typer(
    help="Tokens of the read API (/api/v1): create, list, revoke.", no_args_is_help=True
)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _settings(ctx: typer.Context):
    return settings_of(ctx)


@token_app.command("create")
def create(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Reviewer account the token acts for.")],
    label: Annotated[
        str, typer.Option("--label", help="What the token is for (e.g. 'registry sync').")
    ] = "",
    as_json: AsJson = False,
) -> None:
    """Create a token for an existing account and print it once (store it now)."""
    from clusterradar.warehouse.api_tokens import create_token

    settings = _settings(ctx)
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        new = create_token(con, user, label)
    if as_json:
        data = {"token": new.secret, "token_id": new.token.token_id, "user": new.token.user_name}
        typer.echo(json.dumps(data))
        return
    typer.echo(new.secret)
    typer.echo(
        f"token {new.token.token_id} for {new.token.user_name} created; it is shown only now. "
        "Send it as 'Authorization: Bearer <token>'.",
        err=True,
    )


@token_app.command("list")
def list_(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this account's tokens.")] = None,
    as_json: AsJson = False,
) -> None:
    """List tokens (ids, accounts, labels, created, revoked); never the tokens themselves."""
    from clusterradar.warehouse.api_tokens import list_tokens

    settings = _settings(ctx)
    with connect(settings.db, read_only=True, timeout=settings.lock_timeout) as con:
        tokens = list_tokens(con, user)
    if as_json:
        rows = [
            {
                "token_id": t.token_id,
                "user": t.user_name,
                "label": t.label,
                "created_at": t.created_at.isoformat(),
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in tokens
        ]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not tokens:
        typer.echo("no API tokens")
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "live"
        typer.echo(
            f"{t.token_id}  {t.user_name}  {t.created_at:%Y-%m-%d %H:%M}  {state}  {t.label}"
        )


@token_app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="Token id, as 'api-token list' shows it.")],
) -> None:
    """Revoke a token: requests with it get 401 from then on (kept in the history)."""
    from clusterradar.warehouse.api_tokens import revoke_token

    settings = _settings(ctx)
    with connect(settings.db, timeout=settings.lock_timeout) as con, transaction(con):
        token = revoke_token(con, token_id)
    typer.echo(f"revoked token {token.token_id} of {token.user_name}")


def register(app: typer.Typer) -> None:
    """Add `api-token` to the root app."""
    app.add_typer(token_app, name="api-token")
