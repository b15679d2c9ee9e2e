"""Tokens of the read API (tables of migration 0007), one or more per reviewer account.

A token is ``cr_`` followed by 43 random URL-safe characters (256 bits). It is shown once, when
it is created; the warehouse keeps only its sha256, so neither a leaked database file nor a
listing hands out a working token (a random secret of that length needs no slow hash). A
token acts for its account: it stops working when it is revoked (an appended revocation row,
never a deletion) or when the account is disabled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

import duckdb

from clusterradar.errors import InputError, NotFoundError
from clusterradar.warehouse.db import query
from clusterradar.warehouse.history import utcnow

TOKEN_PREFIX = "cr_"
MAX_TOKEN_LENGTH = 128  # longer Authorization values are refused before any lookup
MAX_LABEL_LENGTH = 200


@dataclass(slots=True)
class ApiToken:
    """A stored token, without its secret."""

    token_id: str
    user_name: str
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None

    @property
    def live(self) -> bool:
        return self.revoked_at is None


@dataclass(slots=True)
class NewToken:
    """A token just created: `secret` is the only copy of the token itself."""

    secret: str
    token: ApiToken


@dataclass(slots=True)
class TokenHolder:
    """Whom a live token acts for, as the API's request handlers see it."""

    token_id: str
    user_name: str
    is_admin: bool


def hash_token(secret: str) -> str:
    """The sha256 hex the warehouse stores in place of a token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(con: duckdb.DuckDBPyConnection, user_name: str, label: str = "") -> NewToken:
    """A new token for an existing, enabled account; the caller owns the transaction.
    NotFoundError for an unknown account, InputError for a disabled one or a bad label."""
    label = label.strip()
    if len(label) > MAX_LABEL_LENGTH or not label.isprintable():
        raise InputError(
            f"--label: at most {MAX_LABEL_LENGTH} printable characters, got {len(label)}"
        )
    found = con.execute(query("api_tokens_user_exists"), {"user_name": user_name}).fetchone()
    if found is None:
        raise NotFoundError(
            f"no user {user_name!r}; create the account first with 'clusterradar review add-user'"
        )
    if found[0]:
        raise InputError(f"user {user_name!r} is disabled; a token would not work")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(uuid.uuid4().hex[:12], user_name, label, utcnow())
    con.execute(
        query("api_tokens_insert"),
        {
            "token_id": token.token_id,
            "token_hash": hash_token(secret),
            "user_name": token.user_name,
            "label": token.label,
            "created_at": token.created_at,
        },
    )
    return NewToken(secret=secret, token=token)


def list_tokens(con: duckdb.DuckDBPyConnection, user_name: str | None = None) -> list[ApiToken]:
    """All tokens (or those of one account), oldest first, revoked ones included."""
    rows = con.execute(query("api_tokens_list"), {"user_name": user_name}).fetchall()
    return [ApiToken(*row) for row in rows]


def revoke_token(con: duckdb.DuckDBPyConnection, token_id: str) -> ApiToken:
    """Revoke a token by its id (appends a revocation); the caller owns the transaction.
    NotFoundError for an unknown id, InputError when it is revoked already."""
    found = {t.token_id: t for t in list_tokens(con)}.get(token_id.strip())
    if found is None:
        raise NotFoundError(f"no API token with id {token_id!r}; see 'clusterradar api-token list'")
    if not found.live:
        raise InputError(f"API token {found.token_id} was revoked already at {found.revoked_at}")
    found.revoked_at = utcnow()
    con.execute(
        query("api_tokens_revoke"), {"token_id": found.token_id, "revoked_at": found.revoked_at}
    )
    return found


def token_holder(con: duckdb.DuckDBPyConnection, secret: str) -> TokenHolder | None:
    """Whom `secret` acts for, or None when it is malformed, unknown, revoked, or its account
    is disabled (the caller answers all of these alike)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
        return None
    row = con.execute(query("api_tokens_holder"), {"token_hash": hash_token(secret)}).fetchone()
    return TokenHolder(*row) if row else None
