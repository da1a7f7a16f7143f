"""The development mailbox: every queued email, readable and clickable."""

from __future__ import annotations

from conftest import make_statement, sign


def test_development_mailbox_shows_the_email_and_its_working_link(app_factory):
    """With no SMTP server, a newcomer reads the email and follows its link."""
    app = app_factory(ENV="development", DEV_MAILBOX=True, BASE_URL="http://localhost")
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


def test_mailbox_exists_only_in_development(app_factory):
    """Testing and production apps have no /dev route at all."""
    app = app_factory(DEV_MAILBOX=True)  # the testing environment
    assert "dev" not in app.blueprints
    assert app.test_client().get("/dev/mailbox").status_code == 404
