"""The read-only API: its documents, errors, caching, CORS, and its OpenAPI contract."""

from __future__ import annotations

import re

import pytest
import schemathesis
from factories import make_signature, make_statement
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from signon.api.schemas import SignatorySchema
from signon.models import OrganisationType, SignatureState, StatementState
from signon.services import exports

API = "/api/v1"


@pytest.fixture
def published(app) -> None:
    """An open statement with named, unnamed and unverified signatories; a draft."""
    with app.app_context():
        statement = make_statement()
        make_signature(statement.id, org_name="Syndicat des Dockers", country="FR")
        make_signature(
            statement.id,
            org_name="Hafenarbeiter Kollektiv",
            org_type=OrganisationType.collective,
            contact_name="Private Person",
        )
        make_signature(statement.id, org_name="Hidden Union", show_name=False)
        make_signature(statement.id, SignatureState.confirmed, org_name="Waiting Union")
        make_statement("a-draft", state=StatementState.draft, title="Draft")


def test_statements_lists_the_published_ones_with_their_figures(client, published):
    response = client.get(f"{API}/statements")
    assert response.status_code == 200 and response.cache_control.public
    [statement] = response.json["statements"]
    assert statement["slug"] == "test-statement" and statement["taking_signatures"] is True
    assert (statement["organisations"], statement["countries"], statement["unnamed"]) == (3, 2, 1)
    assert statement["links"]["signatories"].endswith(
        "/api/v1/statements/test-statement/signatories"
    )


def test_a_statement_counts_its_named_signatories_by_country_and_type(client, published):
    data = client.get(f"{API}/statements/test-statement").json
    assert data["by_country"] == [
        {"country": "FR", "country_name": "France", "signatories": 1},
        {"country": "DE", "country_name": "Germany", "signatories": 1},
    ]
    assert {row["type"] for row in data["by_type"]} == {"union", "collective"}
    assert client.get(f"{API}/statements/a-draft").status_code == 404


def test_signatories_are_the_public_projection_paged_and_filtered(client, published):
    first = client.get(f"{API}/statements/test-statement/signatories?per_page=1")
    data = first.json
    assert (data["total"], data["pages"], data["page"]) == (2, 2, 1)
    assert [s["name"] for s in data["signatories"]] == ["Hafenarbeiter Kollektiv"]
    assert "next" in data["links"] and "prev" not in data["links"]
    second = client.get(data["links"]["next"].removeprefix("http://signon.test")).json
    assert [s["name"] for s in second["signatories"]] == ["Syndicat des Dockers"]
    found = client.get(f"{API}/statements/test-statement/signatories?q=DOCKERS&country=FR").json
    assert found["total"] == 1
    body = first.get_data(as_text=True)
    for private in ("Private Person", "@example.org", "Hidden Union", "Waiting Union"):
        assert private not in body


def test_the_signatory_schema_is_the_exports_record():
    assert tuple(SignatorySchema().fields) == exports.FIELDS


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=0", "page: Must be greater than or equal to 1"),
        ("per_page=1000", "per_page: Must be greater than or equal to 1"),
        ("country=XX", "country: Not an ISO 3166-1 alpha-2 country code."),
        ("type=cartel", "type: Must be one of"),
        ("sort=random", "sort: Must be one of"),
        ("q=" + "x" * 101, "q: Longer than maximum length 100."),
        ("page=abc", "page: Not a valid integer."),
        ("contry=FR", "contry: Unknown field."),
    ],
)
def test_bad_arguments_get_a_json_400_that_names_them(client, published, query, message):
    response = client.get(f"{API}/statements/test-statement/signatories?{query}")
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert message in response.json["error"]["message"]


def test_every_error_is_json(client, published):
    for url in (f"{API}/statements/nope", f"{API}/nothing-here"):
        response = client.get(url)
        assert response.status_code == 404 and response.json["error"]["status"] == 404
    refused = client.post(f"{API}/statements")
    assert refused.status_code == 405 and refused.json["error"]["status"] == 405


def test_answers_revalidate_by_etag(client, published):
    for url in (
        f"{API}/statements/test-statement",
        f"{API}/statements/test-statement/signatories",
    ):
        etag = client.get(url).headers["ETag"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_any_site_may_read_it_from_a_browser(client, published):
    url = f"{API}/statements/test-statement/signatories"
    response = client.get(url, headers={"Origin": "https://union.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.options(
        url,
        headers={
            "Origin": "https://union.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "POST" not in preflight.headers["Access-Control-Allow-Methods"]
    page = client.get("/s/test-statement", headers={"Origin": "https://union.example"})
    assert "Access-Control-Allow-Origin" not in page.headers


def test_the_api_is_rate_limited_with_a_json_answer(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RATELIMIT_API="3 per minute")
    with app.app_context():
        make_statement()
    client = app.test_client()
    statuses = [client.get(f"{API}/statements").status_code for _ in range(4)]
    limited = client.get(f"{API}/statements")
    assert statuses == [200, 200, 200, 429] and "Retry-After" in limited.headers
    assert "try again in" in limited.json["error"]["message"]


def test_the_openapi_document_is_3_1_and_describes_every_route(app, client):
    document = client.get(f"{API}/openapi.json").json
    assert document["openapi"] == "3.1.0"
    documented = {f"{API}{path}" for path in document["paths"]}
    routes = {
        rule.rule.replace("<slug:slug>", "{slug}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi"
    }
    assert routes == documented
    signatory = document["components"]["schemas"]["Signatory"]
    assert set(signatory["properties"]) == set(signatory["required"]) == set(exports.FIELDS)


# Mostly the published statement: random slugs would only ever meet a 404.
SLUGS = st.sampled_from(["test-statement"] * 6 + ["a-draft", "no-such-statement"])


def test_every_documented_route_keeps_to_its_schema(app, published):
    """Random arguments, valid and not: never a 500, every answer as documented.

    Each operation's strategy is driven by Hypothesis directly: schemathesis'
    own pytest integration does not run under this pytest.
    """
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 3
    for operation in operations:
        cases = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @given(case=cases, slug=SLUGS)
        @settings(
            max_examples=60,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        def keeps_to_its_schema(case: schemathesis.Case, slug: str) -> None:
            generated = (case.path_parameters or {}).get("slug")
            # A slug that breaks the pattern is what a negative case is testing: keep it.
            if isinstance(generated, str) and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", generated):
                case.path_parameters["slug"] = slug
            case.call_and_validate()

        keeps_to_its_schema()


def test_a_page_past_the_last_is_a_404(client, published):
    response = client.get(f"{API}/statements/test-statement/signatories?page=3")
    assert response.status_code == 404 and "the last is 1" in response.json["error"]["message"]
