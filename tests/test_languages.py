"""Languages: choosing one, caching by it, statement texts in it, emails in the signer's."""

from __future__ import annotations

import re

import pytest
from factories import make_statement
from helpers import VALID_FORM, link_in, outbox, sign, signatures

from signon.database import write_transaction
from signon.services import authoring, statements

RUSSIAN_TITLE = "Заявление о солидарности"
RUSSIAN_TEXT = """---
slug: {slug}
title: Заявление о солидарности
---
Мы стоим вместе.[^1]

[^1]: Сноска.
"""


@pytest.fixture
def translated(app, statement):
    """The statement, with a Russian text imported beside its English one."""
    with app.app_context(), write_transaction():
        authoring.import_statement(RUSSIAN_TEXT.format(slug=statement), "ru")
    return statement


def test_the_browser_language_is_the_first_guess_and_the_page_varies_on_it(client, statement):
    russian = client.get(f"/s/{statement}", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="ru" dir="ltr">' in russian.get_data(as_text=True)
    assert "Accept-Language" in russian.headers["Vary"]
    english = client.get(f"/s/{statement}", headers={"Accept-Language": "de, en;q=0.5"})
    assert '<html lang="en" dir="ltr">' in english.get_data(as_text=True)
    # A language signon does not speak falls back to English.
    german = client.get(f"/s/{statement}", headers={"Accept-Language": "de"})
    assert '<html lang="en"' in german.get_data(as_text=True)


def test_a_language_named_in_the_url_wins_and_links_onward_keep_it(client, statement):
    page = client.get(f"/s/{statement}?lang=ar", headers={"Accept-Language": "ru"})
    html = page.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    # One URL, one language: nothing to vary on.
    assert "Accept-Language" not in page.headers.get("Vary", "")
    assert f'action="/s/{statement}/sign?lang=ar#sign"' in html
    assert '/privacy?lang=ar"' in html
    # Files and data do not change with the language; their links do not carry it.
    assert "/static/style.css?" not in html
    # An unknown code is ignored, not an error.
    assert client.get(f"/s/{statement}?lang=xx").status_code == 200


def test_every_language_has_its_own_etag_and_a_304_only_for_its_own(client, statement):
    english = client.get(f"/s/{statement}", headers={"Accept-Language": "en"})
    russian = client.get(f"/s/{statement}", headers={"Accept-Language": "ru"})
    assert english.headers["ETag"] != russian.headers["ETag"]
    again = client.get(
        f"/s/{statement}",
        headers={"Accept-Language": "ru", "If-None-Match": russian.headers["ETag"]},
    )
    assert again.status_code == 304
    assert "Accept-Language" in again.headers["Vary"]
    other = client.get(
        f"/s/{statement}",
        headers={"Accept-Language": "es", "If-None-Match": russian.headers["ETag"]},
    )
    assert other.status_code == 200


def test_the_switcher_names_each_language_in_itself_and_marks_the_current(client, statement):
    html = client.get(f"/s/{statement}?lang=es").get_data(as_text=True)
    switcher = html[html.index('class="languages"') :]
    switcher = switcher[: switcher.index("</nav>")]
    for code, name in (("en", "English"), ("es", "Español"), ("ru", "Русский"), ("ar", "العربية")):
        assert f'href="/s/{statement}?lang={code}" lang="{code}" hreflang="{code}"' in switcher
        assert name in switcher
    assert 'hreflang="es" aria-current="true"' in switcher


def test_public_pages_announce_their_other_languages(client, statement):
    html = client.get(f"/s/{statement}").get_data(as_text=True)
    for code in ("en", "es", "ru", "ar"):
        assert (
            f'<link rel="alternate" hreflang="{code}" href="http://signon.test/s/{statement}?lang={code}">'
            in html
        )
    assert f'hreflang="x-default" href="http://signon.test/s/{statement}">' in html


def test_a_statement_is_read_in_its_translation_where_there_is_one(client, translated):
    russian = client.get(f"/s/{translated}?lang=ru").get_data(as_text=True)
    assert RUSSIAN_TITLE in russian
    assert "Мы стоим вместе." in russian
    assert '<link rel="alternate" hreflang="ru"' in russian
    # The reader learns the text exists in English too, and can go there.
    assert f'href="/s/{translated}?lang=en"' in russian
    # Spanish has no text: the original shows, marked as English for screen readers.
    spanish = client.get(f"/s/{translated}?lang=es").get_data(as_text=True)
    assert RUSSIAN_TITLE not in spanish
    assert 'class="body" lang="en"' in spanish


def test_importing_a_translation_needs_the_statement_and_replaces_the_earlier(app, translated):
    with app.app_context(), write_transaction():
        _, created = authoring.import_statement(
            RUSSIAN_TEXT.format(slug=translated).replace("вместе", "рядом"), "ru"
        )
        assert created is False
        with pytest.raises(statements.StatementImportError, match="no statement"):
            authoring.import_statement(RUSSIAN_TEXT.format(slug="no-such-thing"), "ru")
        with pytest.raises(statements.StatementImportError, match="settings block"):
            authoring.import_statement("no block", "ru")
    with app.app_context():
        view = statements.statement_view(translated)
        assert view.languages == ["en", "ru"]
        assert "Мы стоим рядом." in view.text_in("ru").body
        assert view.text_in("ar").language == "en"


def test_the_import_command_takes_a_language(runner, app, statement, tmp_path):
    path = tmp_path / "ru.md"
    path.write_text(RUSSIAN_TEXT.format(slug=statement), "utf-8")
    result = runner.invoke(args=["statements", "import", "--language", "ru", str(path)])
    assert result.exit_code == 0, result.output
    assert "Русский" in result.output
    result = runner.invoke(args=["statements", "import", "--language", "xx", str(path)])
    assert result.exit_code != 0


def test_a_signature_remembers_its_language_and_every_email_speaks_it(
    client, admin_client, app, translated
):
    response = sign(client, translated, headers={"Accept-Language": "ru"})
    assert response.status_code == 303
    assert signatures(app)[0].language == "ru"
    confirmation = outbox(app)[0]
    assert RUSSIAN_TITLE in confirmation.subject
    assert "?lang=ru" in confirmation.body_text
    assert 'lang="ru"' in confirmation.body_html
    client.post(link_in(confirmation, "confirm"))
    # The admin reads English; the email their action sends is still in Russian.
    queue = admin_client.get("/admin/", headers={"Accept-Language": "en"})
    assert queue.status_code == 200
    signature_id = signatures(app)[0].id
    html = queue.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    admin_client.post(f"/admin/signatures/{signature_id}/verify", data={"csrf_token": token})
    listed = outbox(app)[-1]
    assert listed.kind == "verified"
    assert RUSSIAN_TITLE in listed.subject
    assert "?lang=ru" in listed.body_text
    # Written in Russian, though the admin's request spoke English.
    assert 'lang="ru"' in listed.body_html
    assert "Здравствуйте" in listed.body_text and "Hello" not in listed.body_text
    # A repeat from an English page: still the signer's language.
    app.config["CONFIRM_RESEND_INTERVAL"] = 0
    sign(client, translated, headers={"Accept-Language": "en"})
    repeat = outbox(app)[-1]
    assert repeat.kind == "already_signed"
    assert "Здравствуйте" in repeat.body_text and 'lang="ru"' in repeat.body_html


def test_country_names_and_dates_follow_the_language(client, app):
    with app.app_context():
        slug = make_statement(slug="dated").slug
    html = client.get(f"/s/{slug}?lang=ru").get_data(as_text=True)
    assert '<option value="RU">Россия</option>' in html
    assert '<option value="DE">Германия</option>' in html
    spanish = client.get(f"/s/{slug}?lang=es").get_data(as_text=True)
    assert '<option value="DE">Alemania</option>' in spanish
    # Sorted as the language sorts: Австралия before Германия before Япония.
    assert html.index(">Австралия<") < html.index(">Германия<") < html.index(">Япония<")


def test_a_right_to_left_language_sets_the_direction(client, statement):
    html = client.get(f"/s/{statement}?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in html


def test_data_is_the_same_in_every_language_and_does_not_vary(client, translated):
    """Downloads, the count and the API are data: one answer, one ETag, for every reader."""
    for path in (
        f"/s/{translated}/signatories.csv",
        f"/s/{translated}/signatories.json",
        f"/s/{translated}/count.json",
        f"/api/v1/statements/{translated}",
    ):
        answers = []
        for language in ("en", "ru"):
            # Each streamed download is read and closed before the next request.
            with client.get(path, headers={"Accept-Language": language}) as response:
                assert response.status_code == 200, path
                assert "Accept-Language" not in response.headers.get("Vary", ""), path
                answers.append((response.get_data(), response.headers["ETag"]))
        assert answers[0] == answers[1], path


def test_figures_are_counted_once_for_every_language(app, client, translated, monkeypatch):
    from signon.services import statements as service

    counted = []
    real = service.tally
    monkeypatch.setattr(service, "tally", lambda s: counted.append(s.id) or real(s))
    for language in ("en", "es", "ru", "ar"):
        assert client.get(f"/s/{translated}?lang={language}").status_code == 200
    assert len(counted) == 1


@pytest.mark.parametrize(
    "header",
    ["", "*", "ru;q=abc", "xx-YY, zz", "ar-EG;q=0.1, ru;q=0.9", "a" * 5000, "ru," * 2000],
)
def test_any_accept_language_gets_a_page_never_an_error(client, statement, header):
    response = client.get(f"/s/{statement}", headers={"Accept-Language": header})
    assert response.status_code == 200
    assert re.search(r'<html lang="(en|es|ru|ar)"', response.get_data(as_text=True))


def test_a_language_named_in_the_url_survives_redirects_and_the_search_form(
    client, app, statement
):
    """A Russian reader whose browser asks for English stays in Russian."""
    english = {"Accept-Language": "en"}
    response = client.post(f"/s/{statement}/sign?lang=ru", data=VALID_FORM, headers=english)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/s/{statement}/signed?lang=ru")
    confirm = link_in(outbox(app)[0], "confirm")
    pressed = client.post(confirm + "?lang=ru", headers=english)
    assert pressed.headers["Location"].endswith("?lang=ru")
    assert signatures(app)[0].language == "ru"
    listing = client.get(f"/s/{statement}/signatories?lang=ru", headers=english)
    assert '<input type="hidden" name="lang" value="ru">' in listing.get_data(as_text=True)
    negotiated = client.get(f"/s/{statement}/signatories", headers={"Accept-Language": "ru"})
    assert 'name="lang"' not in negotiated.get_data(as_text=True)


def test_the_switcher_on_a_searched_list_keeps_the_search(client, statement):
    html = client.get(f"/s/{statement}/signatories?q=dock&lang=es").get_data(as_text=True)
    switcher = html[html.index('class="languages"') :]
    switcher = switcher[: switcher.index("</nav>")]
    assert f'href="/s/{statement}/signatories?q=dock&amp;lang=ru"' in switcher


def test_withdrawing_forgets_the_language(client, app, translated):
    sign(client, translated, headers={"Accept-Language": "ru"})
    withdraw = link_in(outbox(app)[0], "withdraw")
    client.post(withdraw)
    assert signatures(app)[0].language == "en"


def test_a_list_grouped_by_country_follows_the_readers_alphabet(client, app, statement):
    from factories import make_signature

    with app.app_context():
        for code in ("DE", "AT", "JP"):  # Germany, Austria, Japan
            make_signature(1, org_name=f"Union in {code}", country=code)

    def order(language: str) -> list[str]:
        html = client.get(f"/s/{statement}/signatories?group=1&lang={language}").get_data(
            as_text=True
        )
        return re.findall(r'<h2 id="country-([A-Z]{2})"', html) or re.findall(
            r"Union in ([A-Z]{2})", html
        )

    assert order("en") == ["AT", "DE", "JP"]  # Austria, Germany, Japan
    assert order("ru") == ["AT", "DE", "JP"]  # Австрия, Германия, Япония
    assert order("es") == ["DE", "AT", "JP"]  # Alemania, Austria, Japón


def test_titles_quoted_in_sentences_are_isolated(client, app, statement):
    sign(client, statement, headers={"Accept-Language": "ar"})
    html = client.get(link_in(outbox(app)[0], "confirm")).get_data(as_text=True)
    assert "<bdi>A Test Statement</bdi>" in html


def test_a_delivery_pack_is_written_in_the_statements_language(runner, app, tmp_path):
    import zipfile

    path = tmp_path / "es.md"
    path.write_text(
        "---\nslug: en-espanol\ntitle: Declaración\npublisher: Sindicato\nstate: open\n"
        "language: es\n---\nTexto.\n",
        "utf-8",
    )
    assert runner.invoke(args=["statements", "import", str(path)]).exit_code == 0
    out = tmp_path / "pack.zip"
    result = runner.invoke(args=["statements", "pack", "en-espanol", "-o", str(out)])
    assert result.exit_code == 0, result.output
    document = zipfile.ZipFile(out).read("statement.html").decode()
    assert '<html lang="es"' in document
