"""The public list: search, filters, orders, groups, pages, and its downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable

import pytest
import sqlalchemy as sa
from factories import make_signature, make_statement
from helpers import ON_POSTGRES, OWN_SCRIPTS, scripts_in
from markupsafe import escape

from signon.database import utcnow, write_transaction
from signon.extensions import db
from signon.models import OrganisationType, SignatoryKind, Signature, SignatureState
from signon.models.signature import fold_name
from signon.services import listing

LIST = "/s/test-statement/signatories"


def _sign(statement_id: int, name: str, country: str = "DE", **fields: object) -> Signature:
    state = fields.pop("state", SignatureState.verified)
    return make_signature(statement_id, state, org_name=name, country=country, **fields)


def _insert_verified(statement_id: int, names: Iterable[str], countries: tuple[str, ...]) -> None:
    """Verified signatures named ``names``, in bulk: the n-th verified n minutes ago.

    Their contacts are "Private Person n" at private<n>@contact.example, for
    tests that look for them where they must not be.
    """
    now = utcnow()
    rows = [
        {
            "statement_id": statement_id,
            "link_id": f"bulk-{n}",
            "state": SignatureState.verified,
            "org_name": name,
            "org_type": OrganisationType.union,
            "country": countries[n % len(countries)],
            "contact_name": f"Private Person {n}",
            "contact_email": f"private{n}@contact.example",
            "email_canonical": f"private{n}@contact.example",
            "confirmed_at": now,
            "verified_at": now - dt.timedelta(minutes=n),
        }
        for n, name in enumerate(names)
    ]
    with write_transaction():
        for start in range(0, len(rows), 10_000):
            db.session.execute(sa.insert(Signature), rows[start : start + 10_000])


def _names(html: str, candidates: list[str]) -> list[str]:
    """The candidates that appear in ``html``, in the order they appear."""
    found = [(html.find(f">{escape(name)}<"), name) for name in candidates]
    return [name for position, name in sorted(found) if position >= 0]


@pytest.fixture
def listed(app) -> list[str]:
    """A statement signed from three countries, with some who must never be listed."""
    names = {
        "École Libre de Lyon": ("FR", OrganisationType.collective),
        "Zeta Dockers' Union": ("DE", OrganisationType.union),
        "alpha collective": ("DE", OrganisationType.collective),
        "Ångström Verein": ("SE", OrganisationType.ngo),
        "Øresund Workers": ("SE", OrganisationType.union),
        "Профсоюз докеров": ("FR", OrganisationType.union),
        "Ecology Now": ("DE", OrganisationType.ngo),
    }
    with app.app_context():
        statement = make_statement()
        for name, (country, org_type) in names.items():
            _sign(statement.id, name, country, org_type=org_type)
        _sign(statement.id, "Unnamed Ecole", "FR", show_name=False)
        _sign(statement.id, "Pending Ecole", "FR", state=SignatureState.confirmed)
    return list(names)


@pytest.mark.parametrize(
    ("name", "folded"),
    [
        ("École Libre", "ecole libre"),
        ("  L'ÉCOLE—du   peuple!  ", "l ecole du peuple"),
        ("Øresund Łódź Straße", "oresund lodz strasse"),
        ("Профсоюз «Ёлка»", "профсоюз елка"),
        ("50%_off", "50 off"),
    ],
)
def test_names_fold_to_what_the_list_sorts_and_searches_by(name, folded):
    assert fold_name(name) == folded


def test_the_list_is_sorted_by_name_whatever_the_case_and_accents(client, listed):
    html = client.get(LIST).get_data(as_text=True)
    assert _names(html, listed) == [
        "alpha collective",
        "Ångström Verein",
        "École Libre de Lyon",
        "Ecology Now",
        "Øresund Workers",
        "Zeta Dockers' Union",
        "Профсоюз докеров",
    ]
    assert "7 signatories listed by name." in html
    assert "9 organisations" not in html  # the pending one is not counted
    assert "1 of them asked not to be named." in html


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ecole", ["École Libre de Lyon"]),
        ("ÉCOLE lyon", ["École Libre de Lyon"]),
        ("eco", ["École Libre de Lyon", "Ecology Now"]),
        ("dockers union", ["Zeta Dockers' Union"]),
        ("ПРОФСОЮЗ", ["Профсоюз докеров"]),
        ("angstrom", ["Ångström Verein"]),
        ("oresund", ["Øresund Workers"]),
    ],
)
def test_search_ignores_case_accents_and_punctuation(client, listed, search, expected):
    response = client.get(LIST, query_string={"q": search})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _names(html, listed) == expected
    assert f"{len(expected)} signator" in html
    assert "Unnamed Ecole" not in html and "Pending Ecole" not in html


def test_a_search_that_finds_nothing_says_so(client, listed):
    html = client.get(LIST, query_string={"q": "nobody here"}).get_data(as_text=True)
    assert "0 signatories match." in html and "No signatory matches." in html


@pytest.mark.parametrize("wildcard", ["%", "_", "%%", "a%", "'; --"])
def test_like_wildcards_in_a_search_are_only_text(client, listed, wildcard):
    html = client.get(LIST, query_string={"q": wildcard}).get_data(as_text=True)
    if fold_name(wildcard):
        expected = {n for n in listed if fold_name(wildcard) in fold_name(n)}
        assert set(_names(html, listed)) == expected
    else:  # nothing left to search for: the whole list
        assert len(_names(html, listed)) == len(listed)


def test_filters_by_country_and_type_and_keep_them_in_links(client, listed):
    html = client.get(LIST, query_string={"country": "DE", "type": "ngo"}).get_data(as_text=True)
    assert _names(html, listed) == ["Ecology Now"]
    assert '<option selected value="DE">Germany (3)</option>' in html
    assert "signatories.csv?country=DE&amp;type=ngo" in html
    france = client.get(LIST, query_string={"country": "FR"}).get_data(as_text=True)
    assert _names(france, listed) == ["École Libre de Lyon", "Профсоюз докеров"]


def test_a_country_with_no_signatories_is_an_empty_list_not_an_error(client, listed):
    response = client.get(LIST, query_string={"country": "CL"})
    assert response.status_code == 200
    assert "Chile (0)" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"country": "XX"}, "Please choose a country from the list."),
        ({"type": "cartel"}, "Please choose a type from the list."),
        ({"sort": "random()"}, "Please choose an order from the list."),
        ({"q": "x" * 101}, "Please search with at most 100 characters."),
    ],
)
def test_bad_filters_get_a_400_that_says_what_is_wrong(client, listed, args, message):
    response = client.get(LIST, query_string=args)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and "<title>Error: " in html
    assert "Zeta" not in html
    download = client.get(LIST + ".csv", query_string=args)
    assert download.status_code == 400 and message in download.get_data(as_text=True)


def test_sorts_by_date_both_ways(app, client, listed):
    with app.app_context(), write_transaction():
        # Verified one day apart, in the order of the fixture.
        for offset, name in enumerate(listed):
            db.session.execute(
                sa.update(Signature)
                .where(Signature.org_name == name)
                .values(verified_at=utcnow() - dt.timedelta(days=len(listed) - offset))
            )
    newest = client.get(LIST, query_string={"sort": "newest"}).get_data(as_text=True)
    oldest = client.get(LIST, query_string={"sort": "oldest"}).get_data(as_text=True)
    assert _names(newest, listed) == listed[::-1]
    assert _names(oldest, listed) == listed


def test_groups_by_country_in_the_order_of_their_names(client, listed):
    html = client.get(LIST, query_string={"group": "1"}).get_data(as_text=True)
    headings = [html.find(f">{name} <span") for name in ("France", "Germany", "Sweden")]
    assert -1 not in headings and headings == sorted(headings)
    assert (
        html.index("Germany <span") < html.index(">alpha collective<") < html.index("Sweden <span")
    )


def test_a_grouped_page_is_cut_across_countries_exactly(app, listed):
    """Pages of the grouped list hold the same rows, in the same order, as one long page."""
    with app.app_context():
        statement = db.session.scalar(sa.select(Signature.statement_id).limit(1))
        ref = type("Ref", (), {"id": statement})()
        counts = listing.countries(ref)
        whole = [
            (group.country, s.org_name)
            for group in listing.grouped(ref, listing.Selection(), counts, 100, 0)
            for s in group.signatories
        ]
        paged = [
            (group.country, s.org_name)
            for start in range(0, len(whole), 3)
            for group in listing.grouped(ref, listing.Selection(), counts, 3, start)
            for s in group.signatories
        ]
    assert [country for country, _ in whole] == ["FR", "FR", "DE", "DE", "DE", "SE", "SE"]
    assert paged == whole


def test_a_withdrawal_erases_the_name_key_too(app, listed):
    with app.app_context():
        signature = db.session.scalar(sa.select(Signature).where(Signature.org_name == listed[0]))
        assert signature.name_key == "ecole libre de lyon"
        with write_transaction():
            signature.withdraw()
        assert db.session.get(Signature, signature.id).name_key == ""


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's trigram index")
def test_postgresql_keeps_trigrams_of_the_listed_names(app):
    """The index a search reads on PostgreSQL (its speed: bench/viral.py, 100,000 rows)."""
    with app.app_context():
        definition = db.session.scalar(
            sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
            {"name": "ix_signature_listed_name_trigrams"},
        )
    assert "USING gin (name_key gin_trgm_ops)" in definition
    assert "WHERE (((state)::text = 'verified'::text) AND (show_name = true))" in definition


def test_the_list_walks_its_partial_indexes_on_sqlite(app, listed):
    """No order or filter of the list sorts or reads every signature (SQLite's plans)."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's query plans")
        ref = type("Ref", (), {"id": 1})()
        for selection in (
            listing.Selection(),
            listing.Selection(order=listing.Order.newest),
            listing.Selection(country="DE"),
            listing.Selection(country="DE", order=listing.Order.oldest),
            listing.Selection(org_type=OrganisationType.union, order=listing.Order.newest),
            listing.Selection(org_type=OrganisationType.union),
            listing.Selection(words=("eco",)),
        ):
            query = listing.ordered(ref, selection).limit(100).offset(1000)
            sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
            plan = " | ".join(
                row[3] for row in db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql))
            )
            assert "ix_signature_listed_by" in plan, (selection, plan)
            assert "TEMP B-TREE" not in plan, (selection, plan)


# Downloads


def test_the_csv_has_public_fields_only_with_formulas_neutralised(app, client):
    with app.app_context():
        statement = make_statement()
        _sign(statement.id, "Plain Union", "DE", city="Berlin", website="https://plain.example")
        _sign(
            statement.id,
            "+Plus Collective",
            "FR",
            city="-Minus",
            comment='=HYPERLINK("https://evil.example")',
            comment_approved=True,
            contact_name="Secret Person",
            contact_role="Treasurer",
        )
        _sign(statement.id, "Hidden", "FR", show_name=False)
    response = client.get(LIST + ".csv")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="test-statement-signatories.csv"'
    )
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [row["name"] for row in rows] == ["Plain Union", "'+Plus Collective"]
    assert rows[1]["city"] == "'-Minus"
    assert rows[1]["comment"] == '\'=HYPERLINK("https://evil.example")'
    assert rows[0] | {"verified_at": ""} == {
        "name": "Plain Union",
        "type": "union",
        "country": "DE",
        "country_name": "Germany",
        "city": "Berlin",
        "website": "https://plain.example",
        "comment": "",
        "verified_at": "",
        "signed_version": "",
        "founding": "false",
        "kind": "organisation",
        "affiliation": "",
    }
    assert rows[0]["verified_at"].endswith("Z")
    for secret in ("Secret Person", "Treasurer", "@example.org", "Hidden"):
        assert secret not in body


def test_the_json_holds_the_figures_and_the_filtered_list(client, listed):
    response = client.get(LIST + ".json", query_string={"country": "SE"})
    data = json.loads(response.get_data(as_text=True))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert data["statement"]["slug"] == "test-statement"
    assert data["statement"]["url"].endswith("/s/test-statement")
    assert (data["organisations"], data["countries"], data["unnamed"]) == (8, 3, 1)
    assert data["filters"] == {"country": "SE"} and data["listed"] == 2
    assert [s["name"] for s in data["signatories"]] == ["Ångström Verein", "Øresund Workers"]
    assert set(data["signatories"][0]) == {
        "name",
        "type",
        "country",
        "country_name",
        "city",
        "website",
        "comment",
        "verified_at",
        "signed_version",
        "founding",
        "kind",
        "affiliation",
        "answers",
    }


def test_an_empty_list_is_still_valid_json_and_csv(app, client):
    with app.app_context():
        make_statement()
    data = json.loads(client.get(LIST + ".json").get_data(as_text=True))
    assert data["signatories"] == [] and data["listed"] == 0
    assert client.get(LIST + ".csv").get_data(as_text=True).count("\r\n") == 1


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_downloads_revalidate_by_etag_and_date_until_the_list_changes(app, client, listed, suffix):
    first = client.get(LIST + suffix)
    assert listed[0] in first.get_data(as_text=True)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.cache_control.public and first.cache_control.s_maxage
    assert client.get(LIST + suffix, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(LIST + suffix, headers={"If-Modified-Since": modified}).status_code == 304
    with app.app_context():
        signature = db.session.scalar(sa.select(Signature).where(Signature.org_name == listed[0]))
        with write_transaction():
            from signon.services import signing

            signing.withdraw(signature)
    app.extensions["signon.statement_views"].clear()  # the one-second snapshot
    again = client.get(LIST + suffix, headers={"If-None-Match": etag})
    assert again.status_code == 200 and listed[0] not in again.get_data(as_text=True)


def test_downloads_are_rate_limited_but_revalidations_are_not(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_EXPORT="2 per minute")
    with app.app_context():
        make_statement()
    client = app.test_client()
    etag = client.get(LIST + ".csv").headers["ETag"]
    for _ in range(5):
        assert client.get(LIST + ".csv", headers={"If-None-Match": etag}).status_code == 304
    assert client.get(LIST + ".csv").status_code == 200
    refused = client.get(LIST + ".csv")
    assert refused.status_code == 429 and "Retry-After" in refused.headers


def test_errors_of_the_json_download_are_json(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_EXPORT="1 per minute")
    with app.app_context():
        make_statement()
    client = app.test_client()
    bad = client.get(LIST + ".json", query_string={"country": "XX"})
    assert bad.status_code == 400 and bad.mimetype == "application/json"
    assert bad.json["error"]["message"] == "Please choose a country from the list."
    missing = client.get("/s/no-such-statement/signatories.json")
    assert missing.status_code == 404 and missing.json["error"]["status"] == 404
    assert client.get(LIST + ".json").status_code == 200
    limited = client.get(LIST + ".json")
    assert limited.status_code == 429 and "try again in" in limited.json["error"]["message"]


# Figures


def test_figures_count_the_named_by_country_type_and_day(app, client, listed):
    with app.app_context(), write_transaction():
        db.session.execute(
            sa.update(Signature)
            .where(Signature.org_name == "Ecology Now")
            .values(verified_at=utcnow() - dt.timedelta(days=3))
        )
    with app.app_context():
        statement = db.session.scalar(sa.select(Signature.statement_id).limit(1))
        figures = listing.figures(type("Ref", (), {"id": statement})())
    assert figures.countries == [("DE", 3), ("FR", 2), ("SE", 2)]
    assert figures.types[0] == (OrganisationType.union, 3)
    assert sum(n for _, n in figures.types) == 7
    today = utcnow().date()
    assert [day for day, _ in figures.days] == [today - dt.timedelta(days=n) for n in (3, 2, 1, 0)]
    assert [n for _, n in figures.days] == [1, 0, 0, 6]

    response = client.get("/s/test-statement/figures")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.cache_control.public
    assert html.count("<svg") == 3 and scripts_in(html) == OWN_SCRIPTS
    assert 'role="img"' in html and "<title id=" in html
    assert "<caption>Listed signatories by country</caption>" in html
    assert 'href="/s/test-statement/signatories?country=DE">Germany</a>' in html
    assert "Not named at their request, and counted nowhere else: 1 organisation." in html
    assert "Unnamed" not in html


def test_figures_of_an_empty_list_say_so(app, client):
    with app.app_context():
        make_statement()
    html = client.get("/s/test-statement/figures").get_data(as_text=True)
    assert "No one is listed by name yet." in html and "<svg" not in html


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_download_of_100000_streams_in_flat_memory_with_no_contact_field(app, client, suffix):
    """The whole list at 100,000 rows, read as it streams: memory stays flat."""
    import tracemalloc

    with app.app_context():
        statement = make_statement()
        names = (f"Organisation {n:06d}" for n in range(100_000))
        _insert_verified(statement.id, names, ("FR", "DE", "CL", "ZA"))
    tracemalloc.start()
    response = client.get(LIST + suffix, buffered=False)
    size = lines = 0
    leaked = False
    for chunk in response.response:
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        size += len(text)
        lines += text.count("Organisation ")
        leaked = leaked or "contact.example" in text or "Private Person" in text
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    response.close()
    assert lines == 100_000 and size > 5_000_000 and not leaked
    print(f"{suffix}: {size / 1e6:.1f} MB streamed, peak traced memory {peak / 1e6:.2f} MB")
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


# A few hundred generated names, in many alphabets.

_PARTS = [
    "Union", "Syndicat", "Gewerkschaft", "Sindicato", "Związek", "Профсоюз", "Σωματείο",
    "Ассоциация", "Colectivo", "Kolektif", "Dockers", "Travailleurs", "Übersee", "Øresund",
    "Åland", "Ćwierć", "Łódź", "São", "Ñandú", "Ελευθερία", "Рабочих", "労働組合", "연대",
]  # fmt: skip


def _generated_names(count: int) -> list[str]:
    import random

    rng = random.Random(7)
    names: set[str] = set()
    while len(names) < count:
        words = rng.sample(_PARTS, rng.randint(2, 3))
        shaped = [w.upper() if rng.random() < 0.1 else w for w in words]
        names.add(" ".join(shaped) + f" {len(names)}")
    return sorted(names)


def test_a_few_hundred_names_are_sorted_and_found_like_their_folded_forms(app, client):
    names = _generated_names(300)
    with app.app_context():
        statement = make_statement()
        _insert_verified(statement.id, names, ("FR", "RU", "GR", "JP", "KR", "PL"))
        ref = type("Ref", (), {"id": statement.id})()
        listed = [s.org_name for s in listing.signatories(ref)]
        assert listed == sorted(names, key=lambda name: (fold_name(name), names.index(name)))
        for query in ("ZWIAZEK", "lodz", "ØRESUND", "профсоюз рабочих", "σωματειο", "労働", "sao"):
            words = listing.search_words(query)
            expected = {n for n in names if all(w in fold_name(n) for w in words)}
            found = listing.signatories(ref, listing.Selection(words=words))
            assert expected and {s.org_name for s in found} == expected, query
            assert listing.count(ref, listing.Selection(words=words)) == len(expected)
            # Told how many it finds (PostgreSQL then sorts them rather than
            # walking the name index): the same rows in the same order.
            selection = listing.Selection(words=words)
            for offset in (0, 1):
                counted = listing.signatories(ref, selection, 3, offset, found=len(expected))
                walked = listing.signatories(ref, selection, 3, offset)
                assert counted == walked, query
        newest = listing.signatories(ref, listing.Selection(order=listing.Order.newest), 5)
        assert [s.org_name for s in newest] == names[:5]
    pages = [
        client.get(LIST, query_string={"q": "union", "page": page}).get_data(as_text=True)
        for page in (1, 2)
    ]
    shown = [name for page in pages for name in _names(page, names)]
    assert shown == [n for n in listed if "union" in fold_name(n)]


def test_a_cached_page_never_shows_another_visitors_search_text(client, listed):
    """'élan!' and 'elan' find the same, but each page echoes its own words."""
    first = client.get(LIST, query_string={"q": "ECOLE!!"}).get_data(as_text=True)
    second = client.get(LIST, query_string={"q": "ecole"}).get_data(as_text=True)
    assert 'value="ECOLE!!"' in first and "ECOLE" not in second
    plain = client.get(LIST).get_data(as_text=True)
    client.get(LIST, query_string={"q": "<<>>"})  # folds to no word at all
    assert client.get(LIST).get_data(as_text=True) == plain


def test_searches_are_rate_limited_but_browsing_is_not(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_SEARCH="2 per minute")
    with app.app_context():
        make_statement()
    client = app.test_client()
    assert [client.get(LIST, query_string={"q": f"w{n}"}).status_code for n in range(3)] == [
        200,
        200,
        429,
    ]
    assert all(
        client.get(LIST, query_string={"country": "FR"}).status_code == 200 for _ in range(5)
    )


def test_a_download_reads_in_batches_and_ends_its_read_between_them(app, client, monkeypatch):
    """Keyset batches: every row once, in order, whatever the batch size."""
    with app.app_context():
        statement = make_statement()
        for n in range(25):
            make_signature(statement.id, org_name=f"Union {n:02d}")
        ref = type("Ref", (), {"id": statement.id})()
        ended = []
        for order in listing.Order:
            rows = list(
                listing.stream(
                    ref, listing.Selection(order=order), batch=4, between=lambda: ended.append(1)
                )
            )
            expected = listing.signatories(ref, listing.Selection(order=order))
            assert rows == expected
        assert len(ended) == 3 * 6  # 25 rows in batches of 4: six ends per order


def _mixed_signatories(statement_id: int) -> None:
    """Organisations and people in three countries, some unnamed, some not yet verified."""
    for n in range(30):
        person = n % 5 == 0
        make_signature(
            statement_id,
            SignatureState.pending if n % 7 == 3 else SignatureState.verified,
            org_name=f"{'Union' if n % 2 else 'Collective'} {n:02d}",
            country=("FR", "DE", "ES")[n % 3],
            kind=SignatoryKind.person if person else SignatoryKind.organisation,
            org_type=None if person else (OrganisationType.ngo, OrganisationType.union)[n % 2],
            show_name=n % 11 != 4,
        )


@pytest.mark.parametrize(
    "narrowing",
    [
        {"country": "FR"},
        {"org_type": OrganisationType.ngo},
        {"country": "FR", "org_type": OrganisationType.ngo},
        {"kind": SignatoryKind.person},
        {"country": "FR", "kind": SignatoryKind.organisation},
        {"words": ("union",)},
    ],
)
def test_a_narrowed_download_reads_every_row_once_in_batches(app, narrowing):
    """The keyset comparison holds for the filtered indexes too (it differs on PostgreSQL)."""
    with app.app_context():
        statement = make_statement()
        _mixed_signatories(statement.id)
        ref = type("Ref", (), {"id": statement.id})()
        for order in listing.Order:
            selection = listing.Selection(order=order, **narrowing)
            rows = list(listing.stream(ref, selection, batch=2))
            assert rows == listing.signatories(ref, selection)
            assert rows


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's plans")
@pytest.mark.parametrize(
    ("narrowing", "index"),
    [
        ({}, "ix_signature_listed_by_name"),
        ({"order": listing.Order.newest}, "ix_signature_listed_by_date"),
        ({"country": "FR"}, "ix_signature_listed_by_country"),
        ({"org_type": OrganisationType.ngo}, "ix_signature_listed_by_type"),
    ],
)
def test_postgresql_seeks_to_each_download_batch(app, narrowing, index):
    """A later batch starts its index scan at the last key, not at the first name."""
    with app.app_context():
        statement = make_statement()
        _mixed_signatories(statement.id)
        ref = type("Ref", (), {"id": statement.id})()
        seen: list[tuple[str, object]] = []

        def record(_conn, _cursor, statement, parameters, _context, _many):
            seen.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            list(listing.stream(ref, listing.Selection(**narrowing), batch=2))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        later = [(sql, params) for sql, params in seen if "(signature.state, " in sql]
        assert later, seen
        sql, params = later[0]
        connection = db.session.connection()
        # Tiny tables would be read whole: make the planner show its index plan.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        plan = "\n".join(
            row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql, params).all()
        )
        assert index in plan, plan
        # The comparison starts at the column after statement_id, so it bounds
        # the scan; a plain ROW(name_key, id) is listed there too, but filters.
        assert "ROW((state)::text, show_name, " in plan.split("Index Cond:", 1)[1], plan


def test_plain_paging_is_the_same_page_with_or_without_the_form(client, app):
    """?page=2 skips the form; with empty or default arguments it is the same page."""
    with app.app_context():
        statement = make_statement()
        _insert_verified(statement.id, (f"Union {n:03d}" for n in range(150)), ("FR",))
    answers = [
        client.get(LIST, query_string=args)
        for args in ({"page": 2}, {"page": 2, "sort": "name"}, {"page": 2, "q": ""})
    ]
    assert {a.status_code for a in answers} == {200}
    assert len({a.headers["ETag"] for a in answers}) == 1
    assert len({a.get_data() for a in answers}) == 1
    html = answers[0].get_data(as_text=True)
    assert "Union 100" in html and "Union 099" not in html
    assert 'href="/s/test-statement/signatories?page=1"' in html
