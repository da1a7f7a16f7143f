"""The publisher in front: identity, standfirst, count, the sign-on box, outcome pages."""

from __future__ import annotations

import pytest
from factories import make_signature, make_statement
from helpers import link_in, outbox, sign

from signon import ConfigurationError, contrast_with_white, create_app
from signon.database import utcnow
from signon.models import StatementState


@pytest.fixture
def fronted(app):
    with app.app_context():
        statement = make_statement(
            "fronted",
            title="Solidarity With the Dockers",
            publisher="Harbour Workers’ Federation",
            standfirst="Dockers are on strike; we stand with them.",
        )
        for n in range(3):
            make_signature(statement, org_name=f"Union {n}", country=("FR", "DE", "CL")[n])
    return "fronted"


def test_the_statement_page_puts_the_publisher_and_the_standfirst_in_front(client, fronted):
    html = client.get(f"/s/{fronted}").get_data(as_text=True)
    header = html[html.index('<header class="site">') : html.index("</header>")]
    assert "Harbour Workers’ Federation" in header and "signon" not in header
    assert '<p class="standfirst" lang="en" dir="ltr">Dockers are on strike' in html
    assert '<meta property="og:description" content="Dockers are on strike' in html
    # The count leads with the figure.
    assert "Signed by <strong>3 organisations</strong>" in html


def test_the_sign_on_box_is_reachable_without_the_whole_text(client, fronted):
    html = client.get(f"/s/{fronted}").get_data(as_text=True)
    # A column beside the text on wide screens (the layout's grid), and a bar
    # kept at the bottom of a phone's screen that jumps to it.
    assert '<main id="main" class="wide">' in html
    assert '<div class="statement-layout">' in html
    assert '<div class="sign-bar"><a class="button" href="#sign">' in html


def test_a_closed_statement_offers_no_sign_bar(client, app):
    with app.app_context():
        make_statement("shut", state=StatementState.closed)
    html = client.get("/s/shut").get_data(as_text=True)
    assert "sign-bar" not in html
    assert "closed to new signatures" in html


def test_outcome_pages_have_a_mark_and_a_next_step(client, app, statement):
    sign(client, statement)
    checked = client.get(f"/s/{statement}/signed").get_data(as_text=True)
    assert 'class="mark pending" aria-hidden="true"' in checked
    assert f'<a class="button" href="/s/{statement}">Back to the statement</a>' in checked
    confirm = link_in(outbox(app)[0], "confirm")
    client.post(confirm)
    confirmed = client.get(confirm).get_data(as_text=True)
    assert '<p class="mark" aria-hidden="true">✓</p>' in confirmed
    assert "Back to the statement" in confirmed and "#share-title" in confirmed
    bad = client.get("/confirm/not-a-token").get_data(as_text=True)
    assert 'class="mark problem"' in bad


def test_emails_come_from_the_publisher_and_show_it(client, app, fronted):
    sign(client, fronted)
    message = outbox(app)[0]
    assert message.sender_name == "Harbour Workers’ Federation"
    assert "Harbour Workers’ Federation" in message.body_html
    assert message.body_text.rstrip().split("-- \n")[1].startswith("Harbour Workers’ Federation")


@pytest.mark.parametrize(
    ("colour", "problem"),
    [("red", "six hex digits"), ("#ffbf47", "too light"), ("#777777", "too light")],
)
def test_a_brand_colour_must_be_written_right_and_read_on_white(tmp_path, colour, problem):
    with pytest.raises(ConfigurationError, match=problem):
        create_app(
            {
                "ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                "BRAND_COLOUR": colour,
            }
        )


def test_contrast_is_measured_as_wcag_does():
    assert round(contrast_with_white("#000000"), 1) == 21.0
    assert round(contrast_with_white("#767676"), 2) == 4.54
    assert contrast_with_white("#8a1538") > 4.5


def test_the_brand_colour_and_logo_are_served_from_this_site(tmp_path):
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    app = create_app(
        {
            "ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
            "BRAND_COLOUR": "#1d4e89",
            "BRAND_LOGO": str(logo),
        }
    )
    client = app.test_client()
    css = client.get("/brand.css")
    assert css.mimetype == "text/css" and "--accent: #1d4e89" in css.get_data(as_text=True)
    assert client.get("/brand/logo").mimetype == "image/svg+xml"
    html = client.get("/privacy").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/brand.css">' in html
    assert '<img src="/brand/logo" alt="" height="40">' in html
    with pytest.raises(ConfigurationError, match="no file"):
        create_app(
            {
                "ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/y.db",
                "BRAND_LOGO": str(tmp_path / "missing.png"),
            }
        )


def test_without_a_brand_nothing_extra_is_served(client):
    assert client.get("/brand.css").status_code == 404
    assert client.get("/brand/logo").status_code == 404


@pytest.mark.parametrize(
    "publisher",
    [
        "Workers, Peasants & Students",
        "Solidarity: Now",
        "Amnesty <press@example.org>",
        "Союз рабочих, крестьян",
    ],
)
def test_a_publisher_name_is_only_ever_a_name_in_the_from_header(app, publisher):
    """Commas, colons and angle brackets stay in the name; the address is the site's."""
    from email import message_from_bytes, policy

    from signon.services import smtp

    with app.app_context():
        outgoing = smtp.Outgoing(
            id=1,
            kind="confirm",
            recipient="someone@example.org",
            subject="Subject",
            body_text="text",
            body_html="<p>html</p>",
            created_at=utcnow(),
            sender_name=publisher,
        )
        raw = smtp.to_message(outgoing).as_bytes()
        assert smtp.envelope_sender() == "noreply@localhost"
    sender = message_from_bytes(raw, policy=policy.default)["From"]
    assert [(a.display_name, a.addr_spec) for a in sender.addresses] == [
        (publisher, "noreply@localhost")
    ]
