"""The request log never shows the tokens of confirm and withdraw links."""

from __future__ import annotations

import logging
import threading
import urllib.request

from helpers import link_in, outbox, sign
from werkzeug.serving import make_server

from signon import logs


def _request_log(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "werkzeug"]


def test_a_request_line_shaped_like_werkzeugs_loses_its_token(app, statement, caplog):
    """Werkzeug passes the request line as an argument; the formatted line is redacted."""
    logs.init_app(app)
    sign(app.test_client(), statement)
    path = link_in(outbox(app)[0], "confirm")
    token = path.removeprefix("/confirm/")
    caplog.set_level(logging.INFO, logger="werkzeug")
    # What WSGIRequestHandler.log_request hands to the logger.
    logging.getLogger("werkzeug").info(
        '127.0.0.1 - - [30/Nov/2026 10:00:00] "%s" %s %s', f"GET {path} HTTP/1.1", "200", "-"
    )
    [record] = [r for r in caplog.records if r.name == "werkzeug"]
    assert token not in record.getMessage()
    assert token not in caplog.text
    expected = '127.0.0.1 - - [30/Nov/2026 10:00:00] "GET /confirm/… HTTP/1.1" 200 -'
    assert record.getMessage() == expected
    assert record.args is None


def test_withdraw_links_and_unknown_token_routes_are_redacted(app, caplog):
    """Both named routes, any token; and a signed token after any other word."""
    logs.init_app(app)
    caplog.set_level(logging.INFO, logger="werkzeug")
    log = logging.getLogger("werkzeug")
    signed = "WzEsIjVmM2EiXQ.Zx1y2w.q9LrWf0a8Jd3kQ-Vb7_cY2e"
    log.info('"%s" %s %s', "POST /withdraw/short-token HTTP/1.1", "303", "-")
    log.info('"%s" %s %s', f"GET /unsubscribe/{signed}?x=1 HTTP/1.1", "200", "-")
    assert _request_log(caplog) == [
        '"POST /withdraw/… HTTP/1.1" 303 -',
        '"GET /unsubscribe/…?x=1 HTTP/1.1" 200 -',
    ]


def test_other_records_are_left_alone(app, caplog):
    """Slugs, static files and ordinary messages keep their text and arguments."""
    logs.init_app(app)
    caplog.set_level(logging.INFO, logger="werkzeug")
    logging.getLogger("werkzeug").info(
        '"%s" %s %s', "GET /s/solidarity-with-the-workers-2024 HTTP/1.1", "200", "-"
    )
    logging.getLogger("werkzeug").info("100%% done, %s", "GET /static/style.css")
    first, second = (r for r in caplog.records if r.name == "werkzeug")
    assert first.args == ("GET /s/solidarity-with-the-workers-2024 HTTP/1.1", "200", "-")
    assert second.getMessage() == "100% done, GET /static/style.css"


def test_a_percent_sign_in_a_redacted_line_stays_literal(app, caplog):
    """The redacted message is final: it is not formatted a second time."""
    logs.init_app(app)
    caplog.set_level(logging.INFO, logger="werkzeug")
    logging.getLogger("werkzeug").info('"%s" %s', "GET /confirm/abc?q=%20%s HTTP/1.1", "404")
    assert _request_log(caplog) == ['"GET /confirm/…?q=%20%s HTTP/1.1" 404']


def test_a_record_that_cannot_be_formatted_does_not_raise_from_the_filter(app):
    """Logging reports a bad format itself; the filter must not throw first."""
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "%d", ("x",), None)
    assert logs.TokenFilter().filter(record) is True
    assert record.args == ("x",)


def test_installing_twice_adds_one_filter(app_factory):
    """Every app of the test suite calls init_app; the logger gets one filter."""
    logs.init_app(app_factory())
    logs.init_app(app_factory())
    werkzeug_logger = logging.getLogger("werkzeug")
    assert sum(isinstance(f, logs.TokenFilter) for f in werkzeug_logger.filters) == 1


def test_the_development_server_logs_confirm_requests_without_the_token(app, statement, caplog):
    """End to end: a real Werkzeug server, a real confirm link, the real log line."""
    logs.init_app(app)
    sign(app.test_client(), statement)
    path = link_in(outbox(app)[0], "confirm")
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.port}{path}"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    [line] = [m for m in _request_log(caplog) if "HTTP/1.1" in m]
    assert '"GET /confirm/… HTTP/1.1" 200' in line
    assert path.removeprefix("/confirm/") not in caplog.text


def test_a_private_link_and_a_reconfirm_link_lose_their_tokens(app, caplog):
    """A statement's private link (no dots in its token) and the reconfirm link."""
    logs.init_app(app)
    caplog.set_level(logging.INFO, logger="werkzeug")
    log = logging.getLogger("werkzeug")
    private = "kX9_q2-LmN0pQrStUvWxYz012345abcd"
    log.info('"%s" %s %s', f"GET /e/{private} HTTP/1.1", "200", "-")
    log.info('"%s" %s %s', f"POST /e/{private}/sign HTTP/1.1", "303", "-")
    log.info('"%s" %s %s', "GET /reconfirm/abc HTTP/1.1", "200", "-")
    assert _request_log(caplog) == [
        '"GET /e/… HTTP/1.1" 200 -',
        '"POST /e/…/sign HTTP/1.1" 303 -',
        '"GET /reconfirm/… HTTP/1.1" 200 -',
    ]
