"""Storage of reviewer accounts and login sessions (tables ``users`` and ``review_sessions``).

The rules (password hashing, session lifetime, who may log in) live in
:mod:`clusterradar.review.auth`; these functions only read and write rows, each on the caller's
open connection. Session rows hold the sha256 of the cookie token, never the token itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb


@dataclass(slots=True)
class User:
    """A reviewer account (without its password hash)."""

    name: str
    is_admin: bool
    created_at: dt.datetime
    disabled: bool


@dataclass(slots=True)
class Session:
    """A logged-in reviewer, as the request handlers see it."""

    user_name: str
    is_admin: bool
    csrf_token: str
    expires_at: dt.datetime


def user_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone() is not None


def insert_user(con: duckdb.DuckDBPyConnection, user: User, password_hash: str) -> None:
    con.execute(
        "INSERT INTO users (name, password_hash, is_admin, created_at, disabled) "
        "VALUES (?, ?, ?, ?, ?)",
        [user.name, password_hash, user.is_admin, user.created_at, user.disabled],
    )


def load_user(con: duckdb.DuckDBPyConnection, name: str) -> User | None:
    row = con.execute(
        "SELECT name, is_admin, created_at, disabled FROM users WHERE name = ?", [name]
    ).fetchone()
    return User(*row) if row else None


def user_with_password_hash(con: duckdb.DuckDBPyConnection, name: str) -> tuple[User, str] | None:
    """The account and its stored argon2 hash, for checking a password; None when unknown."""
    row = con.execute(
        "SELECT name, is_admin, created_at, disabled, password_hash FROM users WHERE name = ?",
        [name],
    ).fetchone()
    return (User(*row[:4]), row[4]) if row else None


def delete_expired_sessions(con: duckdb.DuckDBPyConnection, now: dt.datetime) -> None:
    con.execute("DELETE FROM review_sessions WHERE expires_at <= ?", [now])


def insert_session(
    con: duckdb.DuckDBPyConnection, token_hash: str, session: Session, created_at: dt.datetime
) -> None:
    con.execute(
        "INSERT INTO review_sessions VALUES (?, ?, ?, ?, ?)",
        [token_hash, session.user_name, session.csrf_token, created_at, session.expires_at],
    )


def live_session(
    con: duckdb.DuckDBPyConnection, token_hash: str, now: dt.datetime
) -> Session | None:
    """The session with this token hash unless it expired or its user is disabled."""
    row = con.execute(
        """
        SELECT s.user_name, u.is_admin, s.csrf_token, s.expires_at
        FROM review_sessions s JOIN users u ON u.name = s.user_name
        WHERE s.session_hash = ? AND s.expires_at > ? AND NOT u.disabled
        """,
        [token_hash, now],
    ).fetchone()
    return Session(*row) if row else None


def delete_session(con: duckdb.DuckDBPyConnection, token_hash: str) -> None:
    con.execute("DELETE FROM review_sessions WHERE session_hash = ?", [token_hash])
