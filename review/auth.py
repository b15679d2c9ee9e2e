"""Reviewer accounts, login sessions and CSRF tokens.

- Passwords: argon2id (argon2-cffi); a login for an unknown name still verifies against a dummy
  hash, so response time does not reveal which names exist.
- Sessions: server-side rows in ``review_sessions``. The cookie carries a random token signed
  with the app's secret key (itsdangerous); the table stores only the token's sha256. Logout and
  expiry delete the row, so a stolen cookie dies with the session.
- CSRF: a random token per session, embedded in every form and compared in constant time on
  every POST. The login form, which has no session yet, uses a signed per-browser token instead.
- Brute force: :class:`LoginThrottle` refuses further attempts for a name from one client address
  after 5 failures, and for the whole address after 30 (within 5 minutes); check and count are
  one step, its memory is bounded, and names or passwords over their length limit are refused
  before any work (see docs/guarantees-security.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, Signer

from clusterradar.errors import InputError, NotFoundError
from clusterradar.warehouse import accounts
from clusterradar.warehouse.accounts import Session, User
from clusterradar.warehouse.history import utcnow
from clusterradar.warehouse.reviews import set_meta_once

USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # whole name (fullmatch)
MAX_NAME_LENGTH = 64
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
SECRET_META_KEY = "review.secret_key"

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("clusterradar-no-such-user")


def check_user_name(name: str) -> str:
    if not USER_NAME.fullmatch(name):
        raise InputError(
            f"invalid user name {name!r}: 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(f"password too long: at most {MAX_PASSWORD_LENGTH} characters")
    return password


def login_input_acceptable(name: str, password: str) -> bool:
    """Whether a login attempt is worth looking at: a well-formed name of at most
    MAX_NAME_LENGTH characters and a password of at most MAX_PASSWORD_LENGTH. Checked before
    the throttle, the database and argon2, so oversized input costs neither memory nor hashing;
    no account can have such a name or password, so nothing about accounts is revealed."""
    return (
        len(name) <= MAX_NAME_LENGTH
        and len(password) <= MAX_PASSWORD_LENGTH
        and USER_NAME.fullmatch(name) is not None
    )


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
    if accounts.user_exists(con, name):
        raise InputError(f"user {name!r} exists already")
    user = User(name=name, is_admin=is_admin, created_at=utcnow(), disabled=False)
    accounts.insert_user(con, user, (hasher or _hasher).hash(password))
    return user


def load_user(con: duckdb.DuckDBPyConnection, name: str) -> User | None:
    return accounts.load_user(con, name)


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

    Does the same argon2 work whether or not the name exists; none at all for input that
    :func:`login_input_acceptable` refuses."""
    if not login_input_acceptable(name, password):
        return None
    found = accounts.user_with_password_hash(con, name)
    stored = found[1] if found else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or found is None or found[0].disabled:
        return None
    return found[0]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(con: duckdb.DuckDBPyConnection, user: User, hours: int) -> tuple[str, Session]:
    """Start a session; returns the raw token (for the cookie only) and the session."""
    now = utcnow()
    accounts.delete_expired_sessions(con, now)
    token = secrets.token_urlsafe(32)
    session = Session(
        user_name=user.name,
        is_admin=user.is_admin,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + dt.timedelta(hours=hours),
    )
    accounts.insert_session(con, _token_hash(token), session, now)
    return token, session


def session_for_token(con: duckdb.DuckDBPyConnection, token: str) -> Session | None:
    """The live session of a cookie token; None when unknown, expired or the user is disabled."""
    return accounts.live_session(con, _token_hash(token), utcnow())


def end_session(con: duckdb.DuckDBPyConnection, token: str) -> None:
    accounts.delete_session(con, _token_hash(token))


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
    caps guessing across many names from one address.

    Callers use :meth:`begin` before checking a password: it decides and counts in one step
    under a lock, so parallel guesses cannot all pass the check before any of them is counted.
    Each attempt counts as a failure from the start; :meth:`succeeded` takes it back and clears
    the name's count (earlier failures from the address stay, so an attacker with an account
    cannot reset the address ceiling by logging in between guesses), :meth:`release` takes back
    an attempt that never reached the password check (for example a locked warehouse).

    Memory is bounded: a key is forgotten once its newest failure is `window` seconds old, no
    key holds more timestamps than its limit, and beyond `max_keys` keys the least recently
    failed one is dropped. In memory: a restart forgets, acceptable for a localhost tool.
    """

    def __init__(
        self,
        limit: int = 5,
        window: float = 300.0,
        address_limit: int = 30,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit = limit
        self.address_limit = address_limit
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        # Ordered by the time of each key's newest failure, oldest first: expiry and the size
        # cap both pop from the front.
        self._failures: OrderedDict[tuple[str, ...], list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many (name, address) and address keys are held (for tests and monitoring)."""
        with self._lock:
            self._expire(self._clock())
            return len(self._failures)

    def _expire(self, now: float) -> None:
        while self._failures:
            key, failures = next(iter(self._failures.items()))
            if failures and failures[-1] > now - self.window:
                break
            del self._failures[key]

    def _count(self, key: tuple[str, ...], now: float) -> int:
        failures = self._failures.get(key)
        if failures is None:
            return 0
        stale = 0
        while stale < len(failures) and failures[stale] <= now - self.window:
            stale += 1
        del failures[:stale]
        return len(failures)

    def _add(self, key: tuple[str, ...], now: float) -> None:
        failures = self._failures.pop(key, None) or []
        failures.append(now)  # never beyond the key's limit: begin() refuses at the limit
        self._failures[key] = failures  # re-inserted at the end: the newest failure
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def _take_back(self, key: tuple[str, ...], ticket: float) -> None:
        failures = self._failures.get(key)
        if failures is not None:
            with contextlib.suppress(ValueError):
                failures.remove(ticket)
            if not failures:
                del self._failures[key]

    @staticmethod
    def _keys(user: str, address: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ("user", user, address), ("address", address)

    def blocked(self, user: str, address: str) -> bool:
        """Whether an attempt for `user` from `address` would be refused now (counts nothing)."""
        now = self._clock()
        user_key, address_key = self._keys(user, address)
        with self._lock:
            return (
                self._count(user_key, now) >= self.limit
                or self._count(address_key, now) >= self.address_limit
            )

    def begin(self, user: str, address: str) -> float | None:
        """Check and count one attempt atomically: None when the name or the address is at its
        limit (refuse without checking the password), else a ticket for :meth:`succeeded` or
        :meth:`release`; until then the attempt counts as a failure."""
        now = self._clock()
        user_key, address_key = self._keys(user, address)
        with self._lock:
            self._expire(now)
            if (
                self._count(user_key, now) >= self.limit
                or self._count(address_key, now) >= self.address_limit
            ):
                return None
            self._add(user_key, now)
            self._add(address_key, now)
            return now

    def succeeded(self, user: str, address: str, ticket: float) -> None:
        """The password was right: forget the name's failures from this address and take the
        attempt back from the address count."""
        user_key, address_key = self._keys(user, address)
        with self._lock:
            self._failures.pop(user_key, None)
            self._take_back(address_key, ticket)

    def release(self, user: str, address: str, ticket: float) -> None:
        """The attempt ended before the password was checked: it does not count."""
        user_key, address_key = self._keys(user, address)
        with self._lock:
            self._take_back(user_key, ticket)
            self._take_back(address_key, ticket)
