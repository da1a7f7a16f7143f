"""Accessibility, measured: axe-core on every public and admin page, at three widths.

In every language: English at the three widths, the others at the widest
and the narrowest (a phone's 320 px, where longer words would first push a
page sideways), with the browser asking for the language as a visitor's does.

axe-core comes with axe-playwright-python and is injected with Playwright's
``evaluate`` (the pages' CSP, rightly, admits no script tag of anyone's).
A critical, serious or moderate finding fails; minor ones are listed when
something else fails. Same app, browser and refusal of other origins as
``test_browser.py``.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import test_browser
from factories import make_signature, make_statement
from helpers import ADMIN_EMAIL, ADMIN_PASSWORD, ON_POSTGRES
from test_browser import Site, language, page, sign_in_browser, site  # noqa: F401  (fixtures)

from signon.database import write_transaction
from signon.extensions import db
from signon.models import QuestionKind, SignatoryKind, Statement, StatementState, WhoMaySign
from signon.services import authoring, questions

axe_api = pytest.importorskip("axe_playwright_python.sync_playwright")

pytestmark = test_browser.pytestmark  # slow, and skipped without Chromium

WIDTHS = {"desktop": (1280, 800), "phone": (375, 740), "narrow": (320, 640)}
FAILING = {"critical", "serious", "moderate"}

PUBLIC = [
    "/s/test-statement",
    "/s/test-statement/signatories",
    "/s/test-statement/signatories?q=dock&group=1",
    "/s/test-statement/signatories?country=XX",  # the 400 with its message
    "/s/test-statement/figures",
    "/s/test-statement/embed",
    "/s/test-statement/print",
    "/s/test-statement/versions",  # with two versions and what changed
    "/s/closed-statement",
    "/s/test-statement/signed",
    "/confirm/not-a-real-token",
    "/pack",
    "/privacy",
    "/no-such-page",
]
ADMIN = [
    "/admin/",
    "/admin/statements",
    "/admin/statements/new",
    "/admin/statements/1/edit",  # the test statement: published, with versions
    "/admin/statements/1/translations/ar",  # the original beside a right-to-left form
    "/admin/outbox",
    "/admin/people",
]


def _violations(checked) -> list[str]:
    results = axe_api.Axe().run(checked).response["violations"]
    wide = checked.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    sideways = [f"{checked.url}: scrolls sideways by {wide} px"] if wide > 0 else []
    return sideways + [
        f"{checked.url}: {v['id']} ({v['impact']}) {v['help']} at "
        + ", ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results
        if v["impact"] in FAILING
    ]


CASES = [("en", width) for width in WIDTHS] + [
    (code, width) for code in ("es", "ru", "ar") for width in ("desktop", "narrow")
]


@pytest.mark.parametrize(
    ("language", "width"),
    [
        # Languages do not meet the database: the other three run on SQLite only.
        pytest.param(
            code,
            width,
            id=f"{code}-{width}",
            marks=pytest.mark.skipif(ON_POSTGRES and code != "en", reason="SQLite run"),
        )
        for code, width in CASES
    ],
    indirect=["language"],
)
def test_every_page_passes_axe(app, site: Site, page, language: str, width: str) -> None:  # noqa: F811
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    found: list[str] = []
    # Listed signatories, so that the list, groups, figures, feed and print
    # view show rows and charts, not their empty states; and below, one
    # signature confirmed through the browser, so that the queue has a row.
    with app.app_context():
        statement = db.session.scalar(
            sa.select(Statement).where(Statement.slug == "test-statement")
        )
        for n, country in enumerate(("FR", "DE", "CL")):
            make_signature(
                statement.id, org_name=f"Listed Dock Union {n}", country=country, city="Lyon"
            )
        with write_transaction():
            authoring.save(
                db.session.get(Statement, statement.id),
                {"body": statement.body + "\nA second paragraph, added later.\n"},
                None,
                note="Added a paragraph",
            )
        # Questions of its own, on the form and on the translation screen.
        with write_transaction():
            current = db.session.get(Statement, statement.id)
            questions.add(current, None, label="Number of members", kind=QuestionKind.number)
            questions.add(
                current,
                None,
                label="Region",
                kind=QuestionKind.choice,
                options=["North", "South"],
                public=True,
            )
        # Open to organisations and people: the form with both shapes, and a
        # listed person with an affiliation.
        both = make_statement("open-to-all", who_may_sign=WhoMaySign.both, title="Open to all")
        make_signature(
            both.id,
            kind=SignatoryKind.person,
            org_type=None,
            org_name="Dana Listed",
            affiliation="University of Nowhere",
            country="FR",
        )
        # A draft before its launch, read through its private link.
        draft = make_statement(
            "before-launch", state=StatementState.draft, title="Before the launch"
        )
        with write_transaction():
            private_link = "/e/" + authoring.open_embargo(
                db.session.get(Statement, draft.id), None
            )
    page.goto(f"{site.origin}/s/test-statement#sign")
    assert page.locator("html").get_attribute("lang") == language
    sign_in_browser(page, "Accessible Dockers", "Ada Contact")
    found += _violations(page)
    page.goto(f"{site.origin}/s/test-statement#sign")
    with page.expect_navigation():
        page.locator("#sign button[type=submit]").click()  # errors
    found += _violations(page)
    page.goto(site.email_link("confirm"))
    found += _violations(page)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    found += _violations(page)
    for path in [*PUBLIC, private_link]:
        page.goto(site.origin + path)
        found += _violations(page)
    # The form of a statement open to both, in each shape, and with errors.
    page.goto(f"{site.origin}/s/open-to-all")
    found += _violations(page)
    page.locator("input[name=kind][value=person]").check()
    found += _violations(page)
    with page.expect_navigation():
        page.locator("#sign button[type=submit]").click()
    found += _violations(page)
    page.goto(f"{site.origin}/admin/login")
    found += _violations(page)
    page.locator("#email").fill(ADMIN_EMAIL)
    page.locator("#password").fill(ADMIN_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    for path in ADMIN:
        page.goto(site.origin + path)
        assert "/admin/login" not in page.url, "the admin is not logged in"
        found += _violations(page)
    # The editor with its preview, then with its errors.
    page.goto(f"{site.origin}/admin/statements/new")
    page.locator("#title").fill("A statement in the making")
    page.locator("#body").fill("Some **text**.[^1]\n\n[^1]: A note.\n")
    with page.expect_navigation():
        page.locator("button[name=preview]").click()
    assert page.locator("#preview h1").count() == 1
    found += _violations(page)
    page.locator("#title").fill("")
    with page.expect_navigation():
        page.locator("button[name=save]").click()
    assert page.locator(".error-summary").count() == 1
    found += _violations(page)
    page.goto(f"{site.origin}/admin/")
    assert "Accessible Dockers" in page.locator("main").inner_text()  # the queue has a row
    page.goto(f"{site.origin}/s/test-statement/signatories?q=dock&group=1")
    assert "Listed Dock Union 0" in page.locator("main").inner_text()
    assert found == [], "\n".join(found)
