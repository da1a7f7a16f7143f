"""Rate limits: signing, confirming and logging in; memory and Redis storage."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from factories import make_admin, make_statement
from helpers import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token, link_in, outbox, sign

from signon.ratelimits import login_account_key

REDIS_URL = os.environ.get("SIGNON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _limited_app(app_factory, **settings):
    app = app_factory(RATELIMIT_ENABLED=True, **settings)
    with app.app_context():
        make_statement()
    return app


def _assert_429_says_when(response):
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Please try again in" in html
    assert int(response.headers["Retry-After"]) > 0


def test_signing_is_limited_per_network(app_factory):
    """Past the limit a network gets a 429 that says when to try again."""
    app = _limited_app(app_factory, RATELIMIT_SIGN="3 per minute")
    client = app.test_client()
    statuses = [
        sign(client, "test-statement", contact_email=f"c{n}@example.org").status_code
        for n in range(3)
    ]
    assert statuses == [303, 303, 303]
    _assert_429_says_when(sign(client, "test-statement", contact_email="c9@example.org"))
    assert len(outbox(app)) == 3


def test_resending_to_one_address_is_limited(app_factory):
    """One address cannot be made to receive endless confirmation emails."""
    app = _limited_app(
        app_factory, RATELIMIT_SIGN_PER_ADDRESS="2 per hour", CONFIRM_RESEND_INTERVAL=0
    )
    client = app.test_client()
    assert sign(client, "test-statement").status_code == 303
    assert sign(client, "test-statement").status_code == 303
    _assert_429_says_when(sign(client, "test-statement"))
    assert len(outbox(app)) == 2
    other = sign(client, "test-statement", contact_email="someone.else@example.org")
    assert other.status_code == 303, "other addresses are not affected"


def test_a_form_sent_back_with_errors_does_not_count_against_the_address(app_factory):
    """Typos email nobody: fixing them never locks a person out of signing."""
    app = _limited_app(app_factory, RATELIMIT_SIGN_PER_ADDRESS="2 per hour")
    client = app.test_client()
    for _ in range(4):
        assert sign(client, "test-statement", org_name="").status_code == 422
    assert sign(client, "test-statement").status_code == 303


def test_confirming_is_limited(app_factory):
    """The confirm button is limited per network."""
    app = _limited_app(app_factory, RATELIMIT_CONFIRM="2 per minute")
    client = app.test_client()
    sign(client, "test-statement")
    path = link_in(outbox(app)[0], "confirm")
    assert [client.post(path).status_code for _ in range(2)] == [303, 303]
    _assert_429_says_when(client.post(path))
    assert client.get(path).status_code == 200, "viewing the page is not limited"


def _login(client, email, password):
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    return client.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": token}
    )


def test_failed_logins_are_limited_and_successful_ones_are_not(app_factory):
    """A brute force is stopped; an admin who knows the password is never held back."""
    app = _limited_app(
        app_factory, RATELIMIT_LOGIN="3 per minute", RATELIMIT_LOGIN_PER_ACCOUNT="100 per hour"
    )
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    for _ in range(5):
        assert _login(app.test_client(), ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 302
    client = app.test_client()
    assert [_login(client, ADMIN_EMAIL, "wrong").status_code for _ in range(3)] == [400] * 3
    _assert_429_says_when(_login(client, ADMIN_EMAIL, "wrong"))
    _assert_429_says_when(_login(client, ADMIN_EMAIL, ADMIN_PASSWORD))


def test_failed_logins_are_limited_per_account_whether_or_not_it_exists(app_factory):
    """Per-account counting treats unknown accounts alike, so it reveals nothing."""
    app = _limited_app(
        app_factory,
        RATELIMIT_LOGIN="100 per minute",
        RATELIMIT_LOGIN_PER_ACCOUNT="2 per hour",
        LOGIN_SLOWDOWN_AFTER="100 per hour",
    )
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    for email in (ADMIN_EMAIL, "nobody@example.org"):
        client = app.test_client()
        assert [_login(client, email, "wrong").status_code for _ in range(2)] == [400, 400]
        assert _login(client, email, "wrong").status_code == 429


def _from(app, network: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = network
    return client


def _attacked_app(app_factory):
    """An app whose admin account 25 networks have just failed to log in to."""
    app = _limited_app(
        app_factory,
        RATELIMIT_LOGIN="10 per minute",
        RATELIMIT_LOGIN_PER_ACCOUNT="3 per hour",
        LOGIN_SLOWDOWN_AFTER="10 per hour",
        RATELIMIT_LOGIN_SLOWED="1 per 2 seconds",
    )
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    statuses = []
    for n in range(25):
        attacker = _from(app, f"203.0.113.{n + 1}")
        statuses += [_login(attacker, ADMIN_EMAIL, "guess").status_code for _ in range(4)]
    assert statuses.count(400) >= 10, "guesses were answered, then slowed down"
    assert 400 not in statuses[-20:], "past the threshold, guesses wait their turn"
    return app


def test_failures_from_many_networks_slow_the_account_but_never_lock_it(app_factory):
    """An attacker failing from 25 networks cannot keep the admin out; guessing slows down."""
    app = _attacked_app(app_factory)
    admin = _from(app, "198.51.100.77")
    first = _login(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
    if first.status_code == 429:
        _assert_429_says_when(first)
        time.sleep(2.1)
        first = _login(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert first.status_code == 302


def test_a_flood_from_one_network_cannot_take_every_turn(app_factory):
    """The per-network limits stop a flood before it reaches the account's queue."""
    app = _attacked_app(app_factory)
    flooder = _from(app, "192.0.2.66")
    flood = [_login(flooder, ADMIN_EMAIL, "guess").status_code for _ in range(40)]
    assert set(flood) <= {400, 429}
    time.sleep(2.1)  # the flood has been stopped by its own network's limit by now
    assert _login(_from(app, "198.51.100.78"), ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 302


def test_a_browser_that_logged_in_before_skips_the_queue(app_factory):
    """The admin's own browser is never slowed down by an attack on the account."""
    app = _limited_app(
        app_factory,
        RATELIMIT_LOGIN_PER_ACCOUNT="100 per hour",
        LOGIN_SLOWDOWN_AFTER="3 per hour",
        RATELIMIT_LOGIN_SLOWED="1 per hour",
    )
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    browser = _from(app, "198.51.100.9")
    assert _login(browser, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 302
    attacker = _from(app, "203.0.113.9")
    statuses = [_login(attacker, ADMIN_EMAIL, "guess").status_code for _ in range(6)]
    assert statuses[-1] == 429, "the account is slowed down now"
    stranger = _from(app, "198.51.100.10")
    assert _login(stranger, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 429
    assert _login(browser, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 302


def test_one_network_guessing_one_account_is_stopped(app_factory):
    """The (account, network) pair has its own hard limit."""
    app = _limited_app(app_factory, RATELIMIT_LOGIN_PER_ACCOUNT="3 per hour")
    with app.app_context():
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    guesser = _from(app, "203.0.113.1")
    assert [_login(guesser, ADMIN_EMAIL, "guess").status_code for _ in range(3)] == [400] * 3
    _assert_429_says_when(_login(guesser, ADMIN_EMAIL, "guess"))
    assert _login(_from(app, "198.51.100.2"), ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 302


def test_forged_forwarded_for_does_not_evade_limits(app_factory):
    """Behind one trusted proxy, rotating a forged X-Forwarded-For changes nothing."""
    app = _limited_app(app_factory, TRUSTED_PROXIES=1, RATELIMIT_SIGN="2 per minute")
    client = app.test_client()
    statuses = [
        sign(
            client,
            "test-statement",
            contact_email=f"c{n}@example.org",
            headers={"X-Forwarded-For": f"198.51.100.{n}, 192.0.2.7"},
        ).status_code
        for n in range(3)
    ]
    assert statuses == [303, 303, 429]


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A RATELIMIT_KEY_PREFIX of this test's own on the test Redis; its keys are deleted after."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError:
        client.close()
        if os.environ.get("CI"):
            raise  # CI starts Redis: a missing server is a failure there
        pytest.skip("no Redis server at " + REDIS_URL)
    prefix = f"signon-test-{uuid.uuid4().hex}"
    try:
        yield prefix
    finally:
        _delete_keys(f"*{prefix}*")
        client.close()


def _keys(pattern: str) -> list[bytes]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
    try:
        return list(client.scan_iter(match=pattern, count=1000))
    finally:
        client.close()


def _delete_keys(pattern: str) -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def test_limits_are_shared_between_processes_through_redis(app_factory, redis_prefix):
    """Two app instances with one Redis storage count together."""
    settings = {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "RATELIMIT_SIGN": "2 per minute",
    }
    first = _limited_app(app_factory, **settings)
    second = app_factory(RATELIMIT_ENABLED=True, **settings)
    assert (
        sign(first.test_client(), "test-statement", contact_email="a@example.org").status_code
        == 303
    )
    assert (
        sign(second.test_client(), "test-statement", contact_email="b@example.org").status_code
        == 303
    )
    response = sign(second.test_client(), "test-statement", contact_email="c@example.org")
    _assert_429_says_when(response)
    keys = _keys(f"*{redis_prefix}*")
    assert keys, "the counters live in Redis"
    for key in keys:
        assert b"127.0.0.1" not in key and b"@" not in key, "only hashed keys in Redis"


def test_login_counters_in_redis_carry_the_key_prefix(app_factory, redis_prefix):
    """Every counter a failed login touches, the account's own too, is under RATELIMIT_KEY_PREFIX.

    Deployments sharing one Redis, told apart by prefix, must not share them.
    The second attempt finds the account slowed down, so its queue is counted too.
    """
    app = _limited_app(
        app_factory,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=redis_prefix,
        LOGIN_SLOWDOWN_AFTER="1 per hour",
        RATELIMIT_LOGIN_SLOWED="1 per hour",
    )
    email = f"admin-{uuid.uuid4().hex}@example.org"  # its counters are this test's alone
    with app.test_request_context("/admin/login", method="POST", data={"email": email}):
        account = login_account_key()
    try:
        client = _from(app, "203.0.113.5")
        assert _login(client, email, "guess").status_code == 400
        assert _login(client, email, "guess").status_code == 400
        keys = [key.decode() for key in _keys(f"*{account}*")]
        for scope in ("login-account", "login-slowed"):
            assert any(f"/{scope}/" in key for key in keys), (scope, keys)
        assert len(keys) >= 3, f"the per-network limit on the account too: {keys}"
        for key in keys:
            assert redis_prefix in key, key
    finally:
        _delete_keys(f"*{account}*")


def test_fresh_ipv6_addresses_in_one_network_share_a_limit(app_factory):
    """Addresses of one IPv6 /64 count as one network; another /64 does not."""
    app = _limited_app(app_factory, RATELIMIT_SIGN="2 per minute")
    statuses = []
    for n, address in enumerate(
        ["2001:db8:1:2::1", "2001:db8:1:2::ffff", "2001:db8:1:2:aaaa::9", "2001:db8:9:9::1"]
    ):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        statuses.append(
            sign(client, "test-statement", contact_email=f"v6-{n}@example.org").status_code
        )
    assert statuses == [303, 303, 429, 303]
