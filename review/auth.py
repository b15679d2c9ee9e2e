"""Reviewer accounts, login sessions and CSRF tokens.

- Passwords: argon2id (argon2-cffi); a login for an unknown name still verifies against a dummy
  hash, so response time does not reveal which names exist.
- Sessions: server-side rows in ``review_sessions``. The cookie carries a random token signed
  with the app's secret key (itsdangerous); the table stores only the token's sha256. Logout and
  expiry delete the row, so a stolen cookie dies with the session.
- CSRF: a random token per session, embedded in every form and compared in constant time on
  every POST. The login form, which has no session yet, uses a signed per-browser token instead.
- Brute force: :class:`LoginThrottle` refuses further attempts for a name from one client address
  after 5 failures, and for the whole address after 30 (within 5 minutes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, Signer

from clusterradar.errors import InputError, NotFoundError
from clusterradar.warehouse.history import utcnow
from clusterradar.warehouse.reviews import set_meta_once

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MIN_PASSWORD_LENGTH = 8
SECRET_META_KEY = "review.secret_key"

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("clusterradar-no-such-user")


@dataclass(slots=True)
class User:
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


def check_user_name(name: str) -> str:
    if not USER_NAME.match(name):
        raise InputError(
            f"invalid user name {name!r}: 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    return password


def create_user(
    con: duckdb.DuckDBPyConnection,
    name: str,
    password: str,
    *,
    is_admin: bool = False,
    hasher: PasswordHasher | None = None,
) -> User:
    """Add an account; refuses an existing name (accounts are never silently replaced).
    `hasher` sets other argon2 cost parameters (tests use cheap ones; verification reads the
    parameters from the stored hash)."""
    check_user_name(name)
    check_password(password)
    if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
        raise InputError(f"user {name!r} exists already")
    user = User(name=name, is_admin=is_admin, created_at=utcnow(), disabled=False)
    con.execute(
        "INSERT INTO users (name, password_hash, is_admin, created_at, disabled) "
        "VALUES (?, ?, ?, ?, ?)",
        [name, (hasher or _hasher).hash(password), is_admin, user.created_at, False],
    )
    return user


def load_user(con: duckdb.DuckDBPyConnection, name: str) -> User | None:
    row = con.execute(
        "SELECT name, is_admin, created_at, disabled FROM users WHERE name = ?", [name]
    ).fetchone()
    return User(*row) if row else None


def require_active_user(con: duckdb.DuckDBPyConnection, name: str) -> User:
    """The enabled account `name`, for commands that record a reviewer's name."""
    user = load_user(con, name)
    if user is None:
        raise NotFoundError(
            f"unknown reviewer {name!r}; add the account with 'clusterradar review add-user {name}'"
        )
    if user.disabled:
        raise InputError(f"reviewer {name!r} is disabled")
    return user


def authenticate(con: duckdb.DuckDBPyConnection, name: str, password: str) -> User | None:
    """The user when name and password match an enabled account, else None.

    Does the same argon2 work whether or not the name exists."""
    row = con.execute(
        "SELECT name, is_admin, created_at, disabled, password_hash FROM users WHERE name = ?",
        [name],
    ).fetchone()
    stored = row[4] if row else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None or row[3]:
        return None
    return User(*row[:4])


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(con: duckdb.DuckDBPyConnection, user: User, hours: int) -> tuple[str, Session]:
    """Start a session; returns the raw token (for the cookie only) and the session."""
    now = utcnow()
    con.execute("DELETE FROM review_sessions WHERE expires_at <= ?", [now])
    token = secrets.token_urlsafe(32)
    session = Session(
        user_name=user.name,
        is_admin=user.is_admin,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + dt.timedelta(hours=hours),
    )
    con.execute(
        "INSERT INTO review_sessions VALUES (?, ?, ?, ?, ?)",
        [_token_hash(token), user.name, session.csrf_token, now, session.expires_at],
    )
    return token, session


def session_for_token(con: duckdb.DuckDBPyConnection, token: str) -> Session | None:
    """The live session of a cookie token; None when unknown, expired or the user is disabled."""
    row = con.execute(
        """
        SELECT s.user_name, u.is_admin, s.csrf_token, s.expires_at
        FROM review_sessions s JOIN users u ON u.name = s.user_name
        WHERE s.session_hash = ? AND s.expires_at > ? AND NOT u.disabled
        """,
        [_token_hash(token), utcnow()],
    ).fetchone()
    return Session(*row) if row else None


def end_session(con: duckdb.DuckDBPyConnection, token: str) -> None:
    con.execute("DELETE FROM review_sessions WHERE session_hash = ?", [_token_hash(token)])


def secret_key(con: duckdb.DuckDBPyConnection, configured: str) -> str:
    """The configured key, else one generated on first use and kept in warehouse_meta, so
    sessions survive restarts of the app."""
    if configured:
        return configured
    return set_meta_once(con, SECRET_META_KEY, secrets.token_urlsafe(48))


class CookieSigner:
    """Signs cookie values so a tampered or forged cookie is recognised before any lookup."""

    def __init__(self, secret: str, purpose: str):
        self._signer = Signer(secret, salt=f"clusterradar.review.{purpose}")

    def sign(self, value: str) -> str:
        return self._signer.sign(value).decode("ascii")

    def unsign(self, signed: str | None) -> str | None:
        if not signed:
            return None
        try:
            return self._signer.unsign(signed).decode("ascii")
        except (BadSignature, UnicodeError):
            return None


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


class LoginThrottle:
    """Refuses logins after repeated failures, counted per (user name, client address) and per
    client address, within `window` seconds.

    `limit` failures for one name from one address block that name from that address only: every
    reviewer usually comes from the same address (127.0.0.1 behind the default binding), so a
    colleague mistyping their password must not lock the others out. `address_limit` (higher)
    caps guessing across many names from one address. A success clears only its own
    (name, address) count, so an attacker with an account cannot reset the address ceiling by
    logging in between guesses. In memory: a restart forgets, acceptable for a localhost tool.
    """

    def __init__(self, limit: int = 5, window: float = 300.0, address_limit: int = 30):
        self.limit = limit
        self.address_limit = address_limit
        self.window = window
        self._failures: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def blocked(self, user: str, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return (
                len(self._recent(("user", user, address), now)) >= self.limit
                or len(self._recent(("address", address), now)) >= self.address_limit
            )

    def failed(self, user: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(("user", user, address), now).append(now)
            self._recent(("address", address), now).append(now)

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            self._failures.pop(("user", user, address), None)
