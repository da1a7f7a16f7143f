"""User journeys in a real browser: headless Chromium from Debian, driven by Playwright.

The app runs under gunicorn with a mail worker sending to an SMTP server in
this process, as in production; the browser reads the emails' links from
what that server received. Every page must load without a console error and
without a request to another origin (each is intercepted, refused and
recorded). Playwright never downloads a browser here: it drives
``/usr/bin/chromium`` (``.ci/run`` installs it from Debian).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from factories import make_admin, make_statement
from helpers import ADMIN_EMAIL, ADMIN_PASSWORD, ON_POSTGRES, free_port
from processes import Processes, Recorder, app_env, mail_settings, smtp_server, wait_healthy

from signon.models import StatementState

CHROMIUM = os.environ.get("SIGNON_TEST_CHROMIUM", "/usr/bin/chromium")

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("CI"),
        reason=f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)",
    ),
]

CONTACT = "browser.contact@example.org"


@dataclass
class Site:
    """The app under gunicorn, its mail, and what the browser saw go wrong."""

    origin: str
    mail: Recorder
    errors: list[str] = field(default_factory=list)

    def email_link(self, kind: str, count: int = 1) -> str:
        """The ``kind`` link of the ``count``-th email to the contact, once it arrives."""
        assert self.mail.wait_for(count, timeout=30), "the email did not arrive"
        body = self.mail.messages_to(CONTACT)[count - 1].get_body(("plain",)).get_content()
        match = re.search(rf"{re.escape(self.origin)}/{kind}/[A-Za-z0-9_.\-]+", body)
        assert match, body
        return match.group(0)


@pytest.fixture
def site(app, processes: Processes, tmp_path: Path) -> Iterator[Site]:
    with app.app_context():
        make_statement()
        make_statement("closed-statement", state=StatementState.closed, title="A Closed One")
        make_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    port, smtp_port = free_port(), free_port()
    origin = f"http://127.0.0.1:{port}"
    env = app_env(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "instance",
        BASE_URL=origin,
        OUTBOX_POLL_SECONDS=0.2,
        **mail_settings(smtp_port),
    )
    with smtp_server(Recorder(), smtp_port) as mail:
        server = processes.gunicorn(env, port, workers=2)
        wait_healthy(server, port)
        processes.worker(env)
        yield Site(origin, mail)


@pytest.fixture
def language(request: pytest.FixtureRequest) -> str | None:
    """The browser's language (its Accept-Language); parametrise with indirect=True."""
    return getattr(request, "param", None)


@pytest.fixture
def page(site: Site, language: str | None) -> Iterator[playwright_api.Page]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(locale=language) if language else browser.new_context()

        def only_this_site(route: playwright_api.Route) -> None:
            parts = urlsplit(route.request.url)
            if f"{parts.scheme}://{parts.netloc}" == site.origin:
                route.continue_()
            else:
                site.errors.append(f"request to another origin: {route.request.url}")
                route.abort()

        context.route("**/*", only_this_site)
        page = context.new_page()

        def on_console(message: playwright_api.ConsoleMessage) -> None:
            # Chromium reports a page answered with 4xx as a failed load; the
            # error paths expect that of the page itself, never of its parts.
            answered_4xx = "the server responded with a status of 4" in message.text
            if answered_4xx and message.location.get("url") == page.url:
                return
            if message.type == "error":
                site.errors.append(f"console error on {page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: site.errors.append(f"script error: {error}"))
        yield page
        browser.close()
    assert site.errors == []


def sign_in_browser(page: playwright_api.Page, org_name: str, contact_name: str) -> None:
    """Fill the sign-on form on the page open (by locator, in any language) and send it."""
    page.locator("#org_name").fill(org_name)
    page.locator("#org_type").select_option("union")
    page.locator("#country").select_option("FR")
    page.locator("#contact_name").fill(contact_name)
    page.locator("#contact_email").fill(CONTACT)
    page.locator("#consent").check()
    with page.expect_navigation():
        page.locator("#sign button[type=submit]").click()


def _type_into(page: playwright_api.Page, text: str) -> None:
    """Tab to the next field and type, as a person with a keyboard does."""
    page.keyboard.press("Tab")
    page.keyboard.type(text)


def test_the_whole_journey_by_keyboard(site: Site, page: playwright_api.Page) -> None:
    """Sign with the keyboard only, confirm from the email, get verified, listed, withdraw."""
    page.goto(f"{site.origin}/s/test-statement")
    assert page.title().startswith("A Test Statement")

    # The call to action jumps to the form; from there, only keys.
    page.get_by_role("link", name="Sign this statement").focus()
    page.keyboard.press("Enter")
    assert page.url.endswith("#sign")
    page.get_by_label("Organisation name").focus()
    page.keyboard.type("Browser Dockers Union")
    page.keyboard.press("Tab")  # type of organisation: a select takes typed letters
    page.keyboard.type("Union")
    page.keyboard.press("Tab")  # country
    page.keyboard.type("Germany")
    assert page.get_by_label("Country").input_value() == "DE"
    _type_into(page, "Hamburg")
    _type_into(page, "https://dockers.example.org")
    _type_into(page, "With the strikers.")
    page.keyboard.press("Tab")  # the first choice of how to appear is already checked
    _type_into(page, "Kim Contact")
    _type_into(page, CONTACT)
    _type_into(page, "Secretary")
    page.keyboard.press("Tab")  # consent
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the submit button
    assert page.evaluate("document.activeElement.textContent") == "Sign the statement"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/s/test-statement/signed" in page.url
    assert "email" in page.locator("main").inner_text().lower()

    page.goto(site.email_link("confirm"))
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    assert "confirmed" in page.locator("main").inner_text().lower()

    page.goto(f"{site.origin}/admin/login")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    assert "Browser Dockers Union" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^Verify", re.I)).first.click()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Log out$", re.I)).first.click()

    page.goto(f"{site.origin}/s/test-statement/signatories?q=dockers")
    assert "Browser Dockers Union" in page.locator("main").inner_text()
    assert "Kim Contact" not in page.content() and CONTACT not in page.content()

    page.goto(site.email_link("withdraw", count=2))  # the "you are listed" email
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Withdraw", re.I)).click()
    assert "withdrawn" in page.locator("main").inner_text().lower()
    page.goto(f"{site.origin}/s/test-statement/signatories")
    assert "Browser Dockers Union" not in page.locator("main").inner_text()


def test_the_paths_that_go_wrong(site: Site, page: playwright_api.Page) -> None:
    """Form errors name the fields; a bad link and a closed statement say what happened."""
    page.goto(f"{site.origin}/s/test-statement#sign")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign the statement").click()
    main = page.locator("main").inner_text()
    assert "Please correct the" in main and "Please fill in this field." in main
    assert page.get_by_label("Organisation name").get_attribute("aria-invalid") == "true"
    # The summary is what has the focus, names each field and links to it.
    assert page.title().startswith("Error: ")
    page.wait_for_load_state("load")  # focus.js runs on load
    assert page.evaluate("document.activeElement.className") == "alert error-summary"
    summary = page.locator(".error-summary")
    assert "Organisation name: Please fill in this field." in summary.inner_text()
    summary.get_by_role("link", name=re.compile("^Contact email")).click()
    assert page.evaluate("document.activeElement.id") == "contact_email"

    page.goto(f"{site.origin}/confirm/not-a-real-token")
    assert "link" in page.locator("main").inner_text().lower()

    page.goto(f"{site.origin}/s/closed-statement")
    assert "closed to new signatures" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Sign the statement").count() == 0


def _log_in(site: Site, page: playwright_api.Page) -> None:
    page.goto(f"{site.origin}/admin/login")
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Log in", re.I)).click()


def test_an_admin_writes_previews_publishes_and_edits_a_statement(
    site: Site, page: playwright_api.Page
) -> None:
    """The editor without a script of its own: write, preview, fix, publish, change, changelog."""
    _log_in(site, page)
    page.goto(f"{site.origin}/admin/statements")
    with page.expect_navigation():
        page.get_by_role("link", name="New statement").click()
    page.get_by_label("Title").fill("Stand with the night shift")
    page.get_by_label("Publisher").fill("Night Workers' Union")
    page.get_by_label("Text", exact=True).fill(
        "We stand with the **night shift**.[^1]\n\n[^1]: Since <em>2026</em>.\n"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()
    # The preview is rendered as the public page will be, and nothing is saved.
    preview = page.locator("#preview")
    assert preview.locator("h1").inner_text() == "Stand with the night shift"
    assert preview.locator("strong").inner_text() == "night shift"
    assert "Since <em>2026</em>." in preview.inner_text()  # markup stays text
    assert page.get_by_label("Title").input_value() == "Stand with the night shift"

    # A mistake is named, linked, and focused; what was typed stays.
    page.get_by_label("Publisher").fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="Create").click()
    page.wait_for_load_state("load")
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.className") == "alert error-summary"
    page.locator(".error-summary").get_by_role("link", name=re.compile("^Publisher")).click()
    assert page.evaluate("document.activeElement.id") == "publisher"
    page.keyboard.type("Night Workers' Union")
    page.get_by_label("Open").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Create").click()
    assert "published as version 1" in page.locator(".flash").inner_text()
    # Published: the address is fixed, and a change of text is a new version.
    assert page.get_by_label("Address").get_attribute("readonly") is not None
    page.get_by_label("Text", exact=True).fill(
        "We stand with the **night shift** and the cleaners.[^1]\n\n[^1]: Since 2026.\n"
    )
    page.get_by_label("What changed").fill("Named the cleaners")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "published as version 2" in page.locator(".flash").inner_text()

    page.goto(f"{site.origin}/s/stand-with-the-night-shift")
    assert "the cleaners" in page.locator(".body").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("see what changed")).click()
    assert "Named the cleaners" in page.locator("main").inner_text()
    assert page.locator(".diff ins").first.inner_text().strip().startswith("[added:")


def test_a_founding_signatory_signs_through_the_private_link(
    app, site: Site, page: playwright_api.Page
) -> None:
    """The private link's page and form work in a browser (its Referrer-Policy included)."""
    from signon.database import write_transaction
    from signon.extensions import db
    from signon.models import Statement
    from signon.services import authoring

    with app.app_context():
        draft = make_statement("before-launch", state=StatementState.draft, title="Not Yet")
        with write_transaction():
            token = authoring.open_embargo(db.session.get(Statement, draft.id), None)
    page.goto(f"{site.origin}/e/{token}")
    assert page.title().startswith("Not Yet")
    sign_in_browser(page, "Founding Dockers", "Ada Founder")
    assert page.url.startswith(f"{site.origin}/e/{token}/signed")
    assert "Check your email" in page.locator("main").inner_text()
    page.goto(site.email_link("confirm"))
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    assert "confirmed" in page.locator("main").inner_text().lower()
    assert page.get_by_role("link", name="Share this statement").count() == 0


def test_a_person_signs_in_their_own_name_where_both_may_sign(
    app, site: Site, page: playwright_api.Page
) -> None:
    """Choosing "in my own name" hides the organisation's fields (no script), and signing works."""
    from signon.models import WhoMaySign

    with app.app_context():
        make_statement("open-to-all", who_may_sign=WhoMaySign.both, title="Open to All")
    page.goto(f"{site.origin}/s/open-to-all")
    assert page.locator("#org_name").is_visible() and not page.locator("#person_name").is_visible()
    page.get_by_label(re.compile("in my own name")).check()
    assert page.locator("#person_name").is_visible()
    for hidden in ("#org_name", "#org_type", "#website", "#contact_name", "#contact_role"):
        assert not page.locator(hidden).is_visible(), hidden
    page.locator("#person_name").fill("Dana Browser")
    page.locator("#affiliation").fill("University of Nowhere")
    page.locator("#country").select_option("FR")
    page.locator("#contact_email").fill(CONTACT)
    page.locator("#consent").check()
    with page.expect_navigation():
        page.locator("#sign button[type=submit]").click()
    assert page.url.startswith(f"{site.origin}/s/open-to-all/signed")
    page.goto(site.email_link("confirm"))
    assert "University of Nowhere" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm my signature").click()
    assert "confirmed" in page.locator("main").inner_text().lower()


def test_on_a_phone_the_sign_bar_steps_aside_at_the_form(site: Site, page) -> None:
    """The bar at the bottom of a phone's screen leads to the form, then stops covering it."""
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{site.origin}/s/test-statement")
    bar = page.locator(".sign-bar")
    assert bar.is_visible()
    bar.get_by_role("link").click()
    page.wait_for_url("**#sign")
    assert not bar.is_visible()
    assert page.locator("#sign button[type=submit]").is_visible()


def test_the_list_search_and_downloads_work_without_script(site: Site, page) -> None:
    """The list's GET form, by keyboard; the download links answer files."""
    page.goto(f"{site.origin}/s/test-statement/signatories")
    page.get_by_label("Search by name").focus()
    page.keyboard.type("nobody")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=nobody" in page.url
    assert "No signatory matches." in page.locator("main").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename == "test-statement-signatories.csv"


# The statement's text in each language, imported as its translation.
TRANSLATIONS = {
    "es": ("Declaración de prueba", "Estamos juntos."),
    "ru": ("Тестовое заявление", "Мы вместе."),
    "ar": ("بيان تجريبي", "نحن معًا."),
}
# An organisation with a name in each language.
ORGANISATIONS = {
    "en": "Language Dockers Union",
    "es": "Sindicato de Estibadores",
    "ru": "Профсоюз докеров",
    "ar": "نقابة عمال الموانئ",
}
CONTACTS = {"en": "Kim", "es": "Kim", "ru": "Ким", "ar": "كريم"}
# Words the same in every language: brands and formats.
NOT_ENGLISH = {
    *("CSV", "JSON", "API", "PDF", "UTC", "Atom"),
    *("Telegram", "WhatsApp", "Bluesky", "Facebook"),
    "signon",  # the site's name (SITE_NAME)
}
# What the test itself wrote in English: the statement's settings, which are data.
TEST_DATA = ("A Test Statement", "Test Publishers", "test-statement")
_URL_OR_ADDRESS = re.compile(r"\S+://\S+|\S+@\S+")


def english_words(text: str) -> list[str]:
    """Latin-letter words in ``text`` beyond brands, links, addresses and the test's data."""
    text = _URL_OR_ADDRESS.sub(" ", text)
    for data in TEST_DATA:
        text = text.replace(data, " ")
    words = re.findall(r"[A-Za-z]{2,}", text)
    return [word for word in words if word not in NOT_ENGLISH]


def translated(app, language: str, message: str) -> str:
    """``message`` as the app's catalogue for ``language`` has it."""
    from flask_babel import force_locale, gettext

    from signon.services.languages import LOCALES

    with app.test_request_context(), force_locale(LOCALES[language]):
        return gettext(message)


# Languages do not meet the database: the other three run on SQLite only.
EVERY_LANGUAGE = [
    pytest.param(code, marks=pytest.mark.skipif(ON_POSTGRES and code != "en", reason="SQLite run"))
    for code in ("en", "es", "ru", "ar")
]


@pytest.mark.parametrize("language", EVERY_LANGUAGE, indirect=True)
def test_the_journey_in_every_language(app, site: Site, page, language: str) -> None:
    """Sign, confirm, be verified, listed and withdraw, all in the browser's language.

    In Russian and Arabic not one word of English may show on the way, in a
    page or an email, apart from brand names, links and addresses.
    """
    from signon.database import write_transaction
    from signon.services import authoring

    if language in TRANSLATIONS:
        title, text = TRANSLATIONS[language]
        with app.app_context(), write_transaction():
            authoring.import_statement(
                f"---\nslug: test-statement\ntitle: {title}\n---\n{text}\n", language
            )
    else:
        title = "A Test Statement"
    strict = language in ("ru", "ar")
    seen: list[str] = []

    def read(expected_heading: str | None = None) -> None:
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        # The switcher names each language in itself ("English"): that is its job;
        # so do links to the statement's other translations, marked with their lang.
        body = page.evaluate(
            "(() => { const b = document.body.cloneNode(true);"
            " b.querySelectorAll('nav.languages, [lang]:not(html)').forEach(n => {"
            "   if (n.matches('nav.languages') || n.lang !== document.documentElement.lang)"
            "     n.remove(); });"
            " document.documentElement.append(b); const t = b.innerText;"
            " b.remove(); return t; })()"
        )
        if expected_heading:
            assert translated(app, language, expected_heading) in page.locator("h1").inner_text()
        if strict:
            seen.extend(f"{page.url}: {word}" for word in english_words(body))

    organisation = ORGANISATIONS[language]
    page.goto(f"{site.origin}/s/test-statement")
    assert page.title().startswith(title)
    read()
    page.locator("#org_name").fill(organisation)
    page.locator("#org_type").select_option("union")
    page.locator("#country").select_option("DE")
    page.locator("#contact_name").fill(CONTACTS[language])
    page.locator("#contact_email").fill(CONTACT)
    page.locator("#consent").check()
    with page.expect_navigation():
        page.locator("#sign button[type=submit]").click()
    assert "/s/test-statement/signed" in page.url
    read("Check your email")

    assert site.mail.wait_for(1, timeout=30)
    confirmation = site.mail.messages_to(CONTACT)[0]
    assert title in confirmation["Subject"]
    plain = confirmation.get_body(("plain",)).get_content()
    if strict:
        seen.extend(f"email: {word}" for word in english_words(plain))
    page.goto(site.email_link("confirm"))
    read("Confirm your signature")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    read("Your signature is confirmed")

    page.goto(f"{site.origin}/admin/login")
    read()
    page.locator("#email").fill(ADMIN_EMAIL)
    page.locator("#password").fill(ADMIN_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert organisation in page.locator("main").inner_text()
    read()
    with page.expect_navigation():
        page.locator("form[action$='/verify'] button").first.click()
    read()
    with page.expect_navigation():
        page.locator("form[action$='/logout'] button").first.click()

    page.goto(f"{site.origin}/s/test-statement/signatories")
    assert organisation in page.locator("main").inner_text()
    read()

    assert site.mail.wait_for(2, timeout=30)
    listed = site.mail.messages_to(CONTACT)[1]
    if strict:
        plain = listed.get_body(("plain",)).get_content()
        seen.extend(f"email: {word}" for word in english_words(plain + listed["Subject"]))
    page.goto(site.email_link("withdraw", count=2))
    read("Withdraw your signature")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    read("Your signature is withdrawn")
    assert seen == [], "English on the way: " + ", ".join(seen)
