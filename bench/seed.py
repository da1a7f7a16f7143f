"""The data of ``bench/viral.py``: a statement, many verified signatories, queued emails.

Everything goes in through the project's own code: ``create_app``, the
migrations, ``import_statement``, and the models' tables. The signatures are
bulk-inserted with SQLAlchemy Core (``insert(Signature)`` in chunks), which
is what makes 100,000 rows take seconds rather than minutes; they never go
through the sign-on form, so every row must satisfy the schema's CHECK
constraints by itself (see ``signon/models/signature.py``).

The rows look like a statement that went viral: organisation names in many
languages (some non-ASCII, each unique), about 100 countries with a few much
more frequent than the rest, a city for some, about 5 % asking not to be
named, every one confirmed and verified within the last two weeks. The same
``seed`` gives the same names, countries and flags (link ids are random).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pycountry
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from signon import create_app
from signon.database import utcnow, write_transaction
from signon.extensions import db
from signon.models import OrganisationType, OutboxMessage, OutboxState, Signature, SignatureState
from signon.models.signature import new_link_id
from signon.services.authoring import import_statement

SLUG = "viral-benchmark"
TITLE = "Solidarity With the Striking Dock Workers"
CHUNK = 5_000  # rows per INSERT batch
SHOW_NAME_SHARE = 0.95
CITY_SHARE = 0.4
WEBSITE_SHARE = 0.3
COUNTRY_COUNT = 100

STATEMENT_FILE = f"""---
slug: {SLUG}
title: {TITLE}
publisher: signon benchmarks
published_on: 2026-01-01
state: open
needs_verification: true
---
We, the undersigned organisations, stand with the dock workers on strike
since the first of the month. Their demands are modest: safe working hours,
the reinstatement of their dismissed delegates, and the right to organise.[^1]

We call on the port authority to negotiate in good faith, and on everyone
to refuse to handle diverted cargo until it does.[^2]

[^1]: The strike committee's statement of demands.
[^2]: The call of the international dockworkers' council.
"""

_U, _P, _C, _N, _M, _F, _O = (
    OrganisationType.union,
    OrganisationType.political,
    OrganisationType.collective,
    OrganisationType.ngo,
    OrganisationType.media,
    OrganisationType.faith,
    OrganisationType.other,
)

# (weight, how a name is put together, organisations with their type, places):
# a name is one language's organisation in one of that language's places.
LANGUAGES: list[tuple[int, str, list[tuple[OrganisationType, str]], list[str]]] = [
    (
        40,
        "{place} {org}",
        [
            (_U, "Dock Workers' Union"),
            (_U, "Teachers' Union"),
            (_U, "Nurses' Branch"),
            (_U, "Trades Council"),
            (_P, "Socialist Party"),
            (_P, "Green Party"),
            (_P, "Anarchist Federation"),
            (_C, "Tenants' Association"),
            (_C, "Food Not Bombs"),
            (_C, "Solidarity Network"),
            (_C, "Climate Camp"),
            (_N, "Migrant Support Group"),
            (_N, "Friends of the Earth"),
            (_N, "Refugee Council"),
            (_M, "Community Radio"),
            (_M, "Independent Media Centre"),
            (_F, "Quaker Meeting"),
            (_F, "Catholic Worker House"),
            (_O, "Cycling Club"),
            (_O, "Football Supporters' Trust"),
        ],
        [
            "London",
            "Glasgow",
            "Dublin",
            "Cardiff",
            "Leeds",
            "Liverpool",
            "Toronto",
            "Chicago",
            "Oakland",
            "Auckland",
            "Cape Town",
            "Melbourne",
            "Bristol",
            "Belfast",
            "Montréal",
            "Reykjavík",
            "Malmö",
            "Zürich",
            "Kraków",
            "Łódź",
        ],
    ),
    (
        12,
        "{org} de {place}",
        [
            (_U, "Sindicato de Estibadores"),
            (_U, "Confederación Sindical"),
            (_C, "Asamblea Vecinal"),
            (_C, "Colectivo Feminista"),
            (_P, "Partido Obrero"),
            (_M, "Radio Comunitaria"),
            (_N, "Asociación Pro Derechos Humanos"),
        ],
        ["Bogotá", "Córdoba", "Málaga", "Medellín", "Valparaíso", "Cádiz", "Querétaro"],
    ),
    (
        8,
        "{org} {place}",
        [
            (_U, "Gewerkschaft der Hafenarbeiter"),
            (_U, "Betriebsgruppe"),
            (_C, "Mieterinitiative"),
            (_C, "Solidaritätsnetzwerk"),
            (_N, "Flüchtlingsrat"),
            (_F, "Evangelische Studierendengemeinde"),
        ],
        ["München", "Köln", "Düsseldorf", "Lübeck", "Göttingen", "Würzburg"],
    ),
    (
        8,
        "{org} de {place}",
        [
            (_U, "Syndicat des Dockers"),
            (_U, "Union Locale"),
            (_C, "Collectif Solidarité"),
            (_P, "Parti Ouvrier"),
            (_N, "Ligue des Droits Humains"),
        ],
        ["Besançon", "Rouen", "Nîmes", "Béziers", "Saint-Étienne", "Québec"],
    ),
    (
        6,
        "{org} de {place}",
        [
            (_U, "Sindicato dos Estivadores"),
            (_C, "Coletivo Popular"),
            (_P, "Movimento dos Trabalhadores"),
        ],
        ["São Paulo", "Belém", "Niterói", "Florianópolis", "Maceió"],
    ),
    (
        5,
        "{place} {org}",
        [(_U, "Liman İşçileri Sendikası"), (_C, "Dayanışma Ağı"), (_N, "İnsan Hakları Derneği")],
        ["İzmir", "İstanbul", "Muğla", "Eskişehir"],
    ),
    (
        5,
        "{org} — {place}",
        [(_U, "Профсоюз докеров"), (_C, "Инициативная группа"), (_M, "Независимое радио")],
        ["Москва", "Казань", "Новосибирск", "Екатеринбург"],
    ),
    (
        4,
        "{org} — {place}",
        [(_U, "Σωματείο Λιμενεργατών"), (_C, "Συλλογικότητα Αλληλεγγύης")],
        ["Πειραιάς", "Θεσσαλονίκη", "Πάτρα"],
    ),
    (
        4,
        "{place}{org}",
        [(_U, "港湾労働組合"), (_C, "連帯ネットワーク"), (_M, "市民ラジオ")],
        ["東京", "大阪", "横浜", "神戸"],
    ),
    (
        4,
        "{org} {place}",
        [(_U, "نقابة عمال الموانئ"), (_N, "جمعية حقوق الإنسان")],
        ["بيروت", "تونس", "الدار البيضاء"],
    ),
    (
        4,
        "{place} {org}",
        [(_U, "Związek Zawodowy Dokerów"), (_C, "Kolektyw Lokatorski")],
        ["Gdańsk", "Wrocław", "Poznań", "Szczecin"],
    ),
]

FIRST_NAMES = [
    "Alex",
    "Sam",
    "Maria",
    "Ahmed",
    "Yuki",
    "Olena",
    "Kwame",
    "Lucia",
    "Tomasz",
    "Aisha",
    "Jonas",
    "Priya",
]
LAST_NAMES = ["Okafor", "Garcia", "Nowak", "Smith", "Tanaka", "Haddad", "Silva", "Novak"]


def seed_app(database_uri: str) -> Flask:
    """The app as the benchmark's servers run it, on ``database_uri``, for seeding."""
    return create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "seed-only-" + new_link_id(),
            "BASE_URL": "http://127.0.0.1",
            "SESSION_COOKIE_SECURE": False,
            "SQLALCHEMY_DATABASE_URI": database_uri,
        }
    )


def migrate() -> None:
    """``flask db upgrade``, in the current app context, without Alembic's INFO lines."""
    logging.disable(logging.INFO)
    try:
        upgrade()
    finally:
        logging.disable(logging.NOTSET)


def create_statement() -> int:
    """Import the benchmark's open statement; its id."""
    with write_transaction():
        statement, _created = import_statement(STATEMENT_FILE)
        return statement.id


def countries(rng: random.Random, count: int = COUNTRY_COUNT) -> list[str]:
    """``count`` ISO 3166-1 alpha-2 codes from pycountry, in the seed's order."""
    codes = sorted(country.alpha_2 for country in pycountry.countries)
    return rng.sample(codes, count)


def organisation_names(rng: random.Random) -> Iterator[tuple[str, OrganisationType, str]]:
    """Endless (name, type, place) triples, every name different from all before it."""
    weights = [language[0] for language in LANGUAGES]
    seen: Counter[str] = Counter()
    while True:
        _weight, pattern, organisations, places = rng.choices(LANGUAGES, weights)[0]
        org_type, organisation = rng.choice(organisations)
        place = rng.choice(places)
        name = pattern.format(org=organisation, place=place)
        seen[name] += 1
        # The 2nd, 3rd... of a kind in one place: numbered branches.
        yield (name if seen[name] == 1 else f"{name} {seen[name]}"), org_type, place


def signature_rows(statement_id: int, count: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """``count`` verified signatures of the statement, as rows for ``insert(Signature)``.

    Every row has the same keys (one executemany batch) and passes the
    CHECK constraints: a verified row is stamped confirmed and verified.
    """
    rng = random.Random(seed)
    codes = countries(rng)
    # A few countries sign much more than the rest, as in any campaign.
    country_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(codes))]
    names = organisation_names(rng)
    now = utcnow()
    for number in range(count):
        org_name, org_type, place = next(names)
        created = now - dt.timedelta(seconds=rng.uniform(3600, 14 * 86400))
        confirmed = created + dt.timedelta(seconds=rng.uniform(30, 3 * 3600))
        verified = min(confirmed + dt.timedelta(seconds=rng.uniform(60, 86400)), now)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first.lower()}.{last.lower()}.{number}@org{number % 997}.example.org"
        yield {
            "statement_id": statement_id,
            "link_id": new_link_id(),
            "state": SignatureState.verified,
            "org_name": org_name,
            "org_type": org_type,
            "country": rng.choices(codes, country_weights)[0],
            "city": place if rng.random() < CITY_SHARE else "",
            "website": f"https://org{number}.example.org" if rng.random() < WEBSITE_SHARE else "",
            "comment": "",
            "comment_approved": False,
            "show_name": rng.random() < SHOW_NAME_SHARE,
            "contact_name": f"{first} {last}",
            "contact_email": email,
            "email_canonical": email.lower(),
            "contact_role": None,
            "ip_hash": None,
            "created_at": created,
            "consented_at": created,
            "confirmation_sent_at": created,
            "confirmed_at": confirmed,
            "verified_at": verified,
        }


def chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in lists of at most ``size``."""
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def seed_signatures(statement_id: int, count: int, seed: int = 1) -> None:
    """Bulk-insert ``count`` verified signatures, in one unit of work."""
    with write_transaction():
        for chunk in chunks(signature_rows(statement_id, count, seed)):
            db.session.execute(sa.insert(Signature), chunk)


def analyze() -> None:
    """On PostgreSQL, ``VACUUM ANALYZE`` the signatures, as autovacuum soon would.

    A table that grew to 100,000 rows has been vacuumed and analysed by
    autovacuum long before; right after a bulk insert it has not, and the
    planner would run on empty statistics. SQLite is left as the app leaves
    it (the app never runs ANALYZE).
    """
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE signature")


BODY_TEXT = """Hello,

Someone, probably you, asked to sign “{title}” on behalf of an organisation \
and gave this email address as the contact.

To see what was entered and confirm the signature, open this address in your \
browser and press the button on the page:

{base_url}/confirm/{token}

The link works for 7 days. If you did not ask for this, ignore this email: an \
unconfirmed signature is never published and is deleted after a while.

--\x20
signon

Read the statement and see its signatories:
{base_url}/s/{slug}

Withdraw this signature and erase the details given with it:
{base_url}/withdraw/{token}w

You got this email because this address was given as the contact for a \
signature on signon.
"""

BODY_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Please confirm your signature</title></head>
<body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
<p>Hello,</p>
<p>Someone, probably you, asked to sign “{title}” on behalf of an organisation and gave
this email address as the contact.</p>
<p>To see what was entered and confirm the signature, open this page and press the button:</p>
<p><a href="{base_url}/confirm/{token}">Confirm the signature</a></p>
<p>The link works for 7 days. If you did not ask for this, ignore this email: an unconfirmed
signature is never published and is deleted after a while.</p>
<hr>
<p><a href="{base_url}/s/{slug}">Read the statement and see its signatories</a></p>
<p><a href="{base_url}/withdraw/{token}w">Withdraw this signature</a> and erase the details
given with it.</p>
<p style="color: #555">You got this email because this address was given as the contact for
a signature on signon.</p>
</body></html>
"""

DRAIN_RECIPIENT_PREFIX = "drain-"


def outbox_rows(count: int, base_url: str) -> Iterator[dict[str, Any]]:
    """``count`` queued confirmation emails, rendered-looking, due at once."""
    due = utcnow() - dt.timedelta(seconds=1)
    for number in range(count):
        token = new_link_id() + "." + new_link_id()  # as long as a signed token
        context = {"title": TITLE, "base_url": base_url, "slug": SLUG, "token": token}
        yield {
            "kind": "confirm",
            "signature_id": None,
            "recipient": f"{DRAIN_RECIPIENT_PREFIX}{number:06d}@example.org",
            "subject": f"Please confirm your signature: {TITLE}",
            "body_text": BODY_TEXT.format(**context),
            "body_html": BODY_HTML.format(**context),
            "state": OutboxState.queued,
            "attempts": 0,
            "next_attempt_at": due,
            "created_at": due,
        }


def seed_outbox(count: int, base_url: str) -> None:
    """Bulk-insert ``count`` queued emails for the outbox worker to drain."""
    with write_transaction():
        for chunk in chunks(outbox_rows(count, base_url)):
            db.session.execute(sa.insert(OutboxMessage), chunk)
