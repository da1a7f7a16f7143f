"""The development mailbox: every email, readable and clickable, delivered there."""

from __future__ import annotations

import logging

from factories import make_statement
from helpers import outbox, sign

from signon.extensions import db, mail
from signon.models import OutboxMessage, OutboxState
from signon.services import outbox as outbox_service


def _development(app_factory, **settings):
    """A development app with its mailbox; no mail server unless one is given."""
    return app_factory(
        ENV="development",
        DEV_MAILBOX=True,
        BASE_URL="http://localhost",
        **{"MAIL_SERVER": None, **settings},
    )


def test_development_mailbox_shows_the_email_and_its_working_link(app_factory):
    """With no SMTP server, a newcomer reads the email and follows its link."""
    app = _development(app_factory)
    client = app.test_client()
    with app.app_context():
        make_statement()
    sign(client, "test-statement")
    listing = client.get("/dev/mailbox").get_data(as_text=True)
    assert "Please confirm your signature" in listing
    message = client.get("/dev/mailbox/1").get_data(as_text=True)
    assert 'href="http://localhost/confirm/' in message
    path = message.split('href="http://localhost', 1)[1].split('"', 1)[0]
    assert client.get(path).status_code == 200


def test_without_a_mail_server_email_is_delivered_to_the_mailbox(app_factory):
    """The request that queued an email delivers it: sent, through the real code path."""
    app = _development(app_factory)
    assert app.extensions["mail"].suppress  # Flask-Mail goes through the motions only
    client = app.test_client()
    with app.app_context():
        make_statement()
    with mail.record_messages() as dispatched:
        response = sign(client, "test-statement")
    assert response.status_code == 303
    [message] = outbox(app)
    assert message.state == OutboxState.sent
    assert message.sent_at is not None
    assert message.attempts == 0
    assert [m.recipients for m in dispatched] == [["alex.private@example.org"]]
    listing = client.get("/dev/mailbox").get_data(as_text=True)
    assert "<td>sent</td>" in listing
    assert "nothing leaves this computer" in listing


def test_email_queued_outside_a_request_goes_out_with_the_next_one(app_factory):
    """Email waiting from before (a command, an older version) is not stuck "queued"."""
    app = _development(app_factory)
    with app.app_context():
        for n in range(3):
            db.session.add(
                OutboxMessage(
                    kind="confirm",
                    recipient=f"person{n}@example.org",
                    subject="Waiting",
                    body_text="text",
                    body_html="<p>html</p>",
                )
            )
        db.session.commit()
    app.test_client().get("/static/style.css").close()  # static files do not deliver
    assert {m.state for m in outbox(app)} == {OutboxState.queued}
    assert app.test_client().get("/privacy").status_code == 200
    assert {m.state for m in outbox(app)} == {OutboxState.sent}


def test_a_configured_mail_server_keeps_real_sending(app_factory, monkeypatch):
    """SIGNON_MAIL_SERVER in development: requests deliver nothing, the worker sends."""
    monkeypatch.setenv("SIGNON_MAIL_SERVER", "smtp.example.org")
    app = app_factory(ENV="development", DEV_MAILBOX=True)
    assert app.config["MAIL_SERVER"] == "smtp.example.org"
    assert not app.extensions["mail"].suppress
    client = app.test_client()
    with app.app_context():
        make_statement()
    sign(client, "test-statement")
    client.get("/dev/mailbox")
    [message] = outbox(app)
    assert message.state == OutboxState.queued
    page = client.get("/dev/mailbox").get_data(as_text=True)
    assert "sends each email for real" in page


def test_a_failed_delivery_is_logged_and_the_response_still_served(
    app_factory, monkeypatch, caplog
):
    """Delivery runs after the response is made; an error there must not break it."""
    app = _development(app_factory)
    client = app.test_client()
    with app.app_context():
        make_statement()

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is on fire")

    monkeypatch.setattr(outbox_service, "deliver_due", broken)
    caplog.set_level(logging.ERROR, logger="signon.dev.views")
    response = sign(client, "test-statement")
    assert response.status_code == 303
    assert "delivering to the development mailbox failed" in caplog.text
    [message] = outbox(app)
    assert message.state == OutboxState.queued  # kept: the next request tries again
    monkeypatch.undo()
    assert client.get("/dev/mailbox").status_code == 200
    [message] = outbox(app)
    assert message.state == OutboxState.sent


def test_mailbox_exists_only_in_development(app_factory):
    """Testing and production apps have no /dev route at all."""
    app = app_factory(DEV_MAILBOX=True)  # the testing environment
    assert "dev" not in app.blueprints
    assert app.test_client().get("/dev/mailbox").status_code == 404
