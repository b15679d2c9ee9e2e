"""The login throttle: counts per name and address, atomic under parallel guesses, bounded in
memory, refuses oversized input before any work, and believes X-Forwarded-For only from
configured proxies. The HTTP tests run the real app under uvicorn on a loopback port."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from clusterradar.errors import ConfigError
from clusterradar.review import auth
from clusterradar.review.app import create_app
from clusterradar.review.auth import LoginThrottle
from clusterradar.settings import load_settings
from tests.conftest import free_port, serving
from tests.test_review_seed import PASSWORD, seed_warehouse, settings_for

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CLI = "from clusterradar.cli import main; main()"


class FakeClock:
    """Seconds that only move when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: LoginThrottle, user: str, address: str) -> None:
    """One wrong password: an attempt that is begun and never succeeds."""
    assert throttle.begin(user, address) is not None


# --- the throttle on its own -------------------------------------------------------------


def test_a_name_is_blocked_per_address_after_its_limit_and_forgotten_on_success():
    throttle = LoginThrottle(limit=2, window=60, address_limit=5)
    fail(throttle, "ben", "127.0.0.1")
    assert not throttle.blocked("ben", "127.0.0.1")
    ticket = throttle.begin("ben", "127.0.0.1")
    assert ticket is not None and throttle.blocked("ben", "127.0.0.1")
    assert throttle.begin("ben", "127.0.0.1") is None  # refused: counts nothing more
    assert not throttle.blocked("anna", "127.0.0.1")  # a colleague on the same address
    assert not throttle.blocked("ben", "10.0.0.7")  # ben from elsewhere
    throttle.succeeded("ben", "127.0.0.1", ticket)
    assert not throttle.blocked("ben", "127.0.0.1")


def test_failures_across_names_hit_the_address_ceiling_and_a_success_does_not_reset_it():
    throttle = LoginThrottle(limit=2, window=60, address_limit=5)
    for name in ("a", "b", "c", "d"):
        fail(throttle, name, "10.0.0.9")
    assert not throttle.blocked("anna", "10.0.0.9")
    ticket = throttle.begin("e", "10.0.0.9")  # the fifth attempt from the address
    assert throttle.blocked("anna", "10.0.0.9") and not throttle.blocked("anna", "127.0.0.1")
    throttle.succeeded("e", "10.0.0.9", ticket)  # takes back only its own attempt
    fail(throttle, "f", "10.0.0.9")
    assert throttle.blocked("anna", "10.0.0.9")
    assert LoginThrottle().address_limit == 30 and LoginThrottle().limit == 5


def test_a_released_attempt_does_not_count():
    throttle = LoginThrottle(limit=1, window=60, address_limit=5)
    ticket = throttle.begin("ben", "127.0.0.1")
    assert throttle.blocked("ben", "127.0.0.1")
    throttle.release("ben", "127.0.0.1", ticket)
    assert not throttle.blocked("ben", "127.0.0.1") and len(throttle) == 0


def test_parallel_begins_for_one_name_let_exactly_the_limit_through():
    throttle = LoginThrottle(limit=5, window=60, address_limit=30)
    barrier = threading.Barrier(20)
    tickets: list[float | None] = []

    def guess() -> None:
        barrier.wait()
        tickets.append(throttle.begin("ben", "127.0.0.1"))

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(t is not None for t in tickets) == 5


def test_keys_are_forgotten_once_their_window_has_passed():
    clock = FakeClock()
    throttle = LoginThrottle(limit=5, window=300, address_limit=30, clock=clock)
    for i in range(20):
        fail(throttle, f"user{i}", f"10.0.0.{i}")
    assert len(throttle) == 40  # a (name, address) key and an address key each
    clock.now += 299
    assert len(throttle) == 40
    clock.now += 2
    assert len(throttle) == 0
    assert throttle.begin("user0", "10.0.0.0") is not None


def test_a_blocked_name_is_free_again_after_the_window():
    clock = FakeClock()
    throttle = LoginThrottle(limit=2, window=300, address_limit=30, clock=clock)
    fail(throttle, "ben", "127.0.0.1")
    fail(throttle, "ben", "127.0.0.1")
    assert throttle.begin("ben", "127.0.0.1") is None
    clock.now += 301
    assert throttle.begin("ben", "127.0.0.1") is not None


def test_the_number_of_keys_and_the_memory_stay_bounded_under_a_flood_of_names():
    throttle = LoginThrottle(limit=5, window=300, address_limit=30, max_keys=1000)
    for i in range(5000):
        throttle.begin(f"name{i}", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
        assert len(throttle._failures) <= 1000
    assert len(throttle) == 1000

    # The default cap with the longest names allowed: a few MB at most, however many arrive.
    throttle = LoginThrottle()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(30_000):
            name = f"{i:08d}".ljust(auth.MAX_NAME_LENGTH, "x")
            throttle.begin(name, f"2001:db8::{i:x}")
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(throttle) == throttle.max_keys == 10_000
    assert held < 6 * 1024 * 1024, f"{held / 1e6:.1f} MB"  # about 3.6 MB measured


def test_login_input_over_the_length_limits_is_not_acceptable():
    assert auth.login_input_acceptable("a" * auth.MAX_NAME_LENGTH, "p" * auth.MAX_PASSWORD_LENGTH)
    assert not auth.login_input_acceptable("a" * (auth.MAX_NAME_LENGTH + 1), "password")
    assert not auth.login_input_acceptable("anna", "p" * (auth.MAX_PASSWORD_LENGTH + 1))
    assert not auth.login_input_acceptable("anna\n", "password")  # not a possible account name
    with pytest.raises(Exception, match="password too long"):
        auth.check_password("p" * (auth.MAX_PASSWORD_LENGTH + 1))


# --- the real app over HTTP on loopback --------------------------------------------------


def login_form(client: httpx.Client) -> str:
    return TOKEN.search(client.get("/login").text).group(1)


def post_login(client: httpx.Client, token: str, name: str, password: str, **headers: str):
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token, "next": "/"},
        headers=headers,
    )


@pytest.fixture
def seeded(db_path):
    return seed_warehouse(db_path)


def test_twenty_parallel_wrong_guesses_for_one_name_stop_at_five(seeded):
    app = create_app(settings_for(seeded.db))
    with serving(app) as url:
        clients = [httpx.Client(base_url=url, timeout=60) for _ in range(20)]
        tokens = [login_form(c) for c in clients]
        barrier = threading.Barrier(20)
        statuses: list[int] = []

        def guess(client: httpx.Client, token: str) -> None:
            barrier.wait()
            statuses.append(post_login(client, token, "ben", "wrong password").status_code)

        threads = [
            threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        right = post_login(clients[0], tokens[0], "ben", PASSWORD).status_code
        for client in clients:
            client.close()
    assert Counter(statuses) == {401: 5, 429: 15}
    assert right == 429  # the right password no longer helps within the window


class CountingHasher(PasswordHasher):
    """argon2 as configured, counting how often a password is verified."""

    calls = 0

    def verify(self, hash, password):
        CountingHasher.calls += 1
        return super().verify(hash, password)


def test_oversized_names_and_passwords_are_refused_before_any_work(seeded, monkeypatch):
    monkeypatch.setattr(auth, "_hasher", CountingHasher())
    CountingHasher.calls = 0
    app = create_app(settings_for(seeded.db))
    throttle = app.state.login_throttle
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        token = login_form(client)
        huge = [post_login(client, token, "x" * 500_000, "wrong").status_code for _ in range(120)]
        long_name = post_login(client, token, "b" * (auth.MAX_NAME_LENGTH + 1), "wrong password")
        long_password = post_login(client, token, "ben", "p" * (auth.MAX_PASSWORD_LENGTH + 1))
        odd_name = post_login(client, token, "ben\n", PASSWORD)
        assert CountingHasher.calls == 0 and len(throttle) == 0
        normal = post_login(client, token, "ben", "wrong password")
    assert set(huge) == {413}
    assert (long_name.status_code, long_password.status_code, odd_name.status_code) == (
        401,
        401,
        401,
    )
    assert "Name oder Passwort falsch" in long_password.text
    assert normal.status_code == 401 and CountingHasher.calls == 1 and len(throttle) == 2


def test_a_login_without_a_content_length_is_refused(seeded):
    app = create_app(settings_for(seeded.db))
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        token = login_form(client)
        body = f"username=ben&password=x&csrf_token={token}".encode()
        chunked = client.post(
            "/login",
            content=iter([body]),  # an iterator is sent chunked, without Content-Length
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert chunked.status_code == 411 and len(app.state.login_throttle) == 0


def test_trusted_proxies_must_be_addresses_or_networks():
    settings = load_settings(
        environ={"CLUSTERRADAR_REVIEW_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}
    )
    assert settings.review.trusted_proxies == "127.0.0.1, 10.0.0.0/8"
    for bad in ("*", "proxy.local", "10.0.0.1/8"):
        with pytest.raises(ConfigError, match=r"review\.trusted_proxies"):
            load_settings(environ={"CLUSTERRADAR_REVIEW_TRUSTED_PROXIES": bad})


@contextlib.contextmanager
def review_serve(db: Path, **env: str) -> Iterator[str]:
    """`clusterradar review serve` as a real subprocess on a free loopback port."""
    port = free_port()
    environ = {**os.environ, "CLUSTERRADAR_DB": str(db), **env}
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, "review", "serve", "--port", str(port)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "review serve did not start"
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{url}/login", timeout=2)
                break
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(20)


def guesses_from_changing_forwarded_addresses(url: str) -> list[int]:
    """Five wrong guesses for ben 'from' 203.0.113.1, then one each 'from' ten other addresses."""
    with httpx.Client(base_url=url, timeout=60) as client:
        token = login_form(client)
        statuses = [
            post_login(
                client, token, "ben", "wrong password", **{"X-Forwarded-For": address}
            ).status_code
            for address in ["203.0.113.1"] * 5 + [f"198.51.100.{i}" for i in range(10)]
        ]
    return statuses


@pytest.mark.slow
def test_review_serve_ignores_x_forwarded_for_by_default(seeded):
    with review_serve(seeded.db) as url:
        statuses = guesses_from_changing_forwarded_addresses(url)
    assert statuses == [401] * 5 + [429] * 10  # a spoofed header buys no extra guesses


@pytest.mark.slow
def test_review_serve_believes_x_forwarded_for_from_a_configured_proxy(seeded):
    with review_serve(seeded.db, CLUSTERRADAR_REVIEW_TRUSTED_PROXIES="127.0.0.1") as url:
        statuses = guesses_from_changing_forwarded_addresses(url)
    # Behind a trusted proxy each forwarded client has its own count.
    assert statuses == [401] * 15
