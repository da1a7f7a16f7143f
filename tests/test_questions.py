"""A statement's own questions: added by admins, answered on the form, public or not."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from factories import make_statement
from helpers import VALID_FORM, audit_log, csrf_token, link_in, outbox, sign, signatures

from signon.database import write_transaction
from signon.extensions import db
from signon.models import AuditAction, Signature, SignatureAnswer, Statement, StatementQuestion

SLUG = "test-statement"
QUESTIONS = "/admin/statements/{id}/questions"


def _statement_id(app) -> int:
    with app.app_context():
        return make_statement(SLUG).id


def _add(admin_client, statement_id: int, **fields: str):
    url = QUESTIONS.format(id=statement_id)
    token = csrf_token(admin_client.get(url).get_data(as_text=True))
    data = {"kind": "text", "visibility": "private", **fields, "csrf_token": token}
    return admin_client.post(url, data=data)


def _three_questions(admin_client, statement_id: int) -> dict[str, str]:
    """Members (a required, private number), Region (a public choice), Sector (private text)."""
    assert _add(admin_client, statement_id, label="Members", kind="number", required="y")
    _add(
        admin_client,
        statement_id,
        label="Region",
        kind="choice",
        options="North\n\n  South  \nEast",
        visibility="public",
    )
    _add(admin_client, statement_id, label="Sector", hint="In a few words")
    page = admin_client.get(f"/s/{SLUG}")  # any client: the page is public
    names = re.findall(r'name="(question_\d+)"', page.get_data(as_text=True))
    return dict(zip(("members", "region", "sector"), names, strict=True))


def _list_of(html: str) -> str:
    """The signatories' part of the statement page (the form above it names the questions)."""
    return html[html.index('id="signatories"') :]


def _answers(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            db.select(StatementQuestion.label, SignatureAnswer.value)
            .join(StatementQuestion)
            .order_by(StatementQuestion.position)
        ).all()
        return [tuple(row) for row in rows]


def test_an_admin_adds_questions_that_appear_on_the_form_and_in_the_audit_log(
    app, client, admin_client
):
    statement_id = _statement_id(app)
    with app.app_context():
        before = db.session.get(Statement, statement_id).public_version
    names = _three_questions(admin_client, statement_id)
    html = client.get(f"/s/{SLUG}").get_data(as_text=True)
    assert "Questions from the publisher" in html
    assert f'<label for="{names["members"]}">Members</label> <span class="req">' in html
    assert 'inputmode="numeric"' in html and "Seen only by the publisher." in html
    assert '<option value="South">South</option>' in html
    assert "In a few words Seen only by the publisher." in html
    assert "Shown on the list with the name, if it is listed." in html  # the region
    with app.app_context():
        statement = db.session.get(Statement, statement_id)
        assert statement.public_version == before + 3  # the cached page changed
        assert [q.option_list for q in statement.questions][1] == ["North", "South", "East"]
    events = [e for e in audit_log(app) if e.action is AuditAction.add_question]
    assert len(events) == 3 and events[0].statement_id == statement_id
    assert events[1].changes["options"] == [None, ["North", "South", "East"]]
    assert events[1].changes["public"] == [None, True]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"label": ""}, "Please fill in this field."),
        ({"label": "Region", "kind": "choice", "options": "Only one"}, "between two and 30"),
        ({"label": "Region", "kind": "choice", "options": "A\na"}, "each once"),
        ({"label": "Members", "kind": "guess"}, "Please choose one of the options."),
        ({"label": "Members", "visibility": "everyone"}, "Please choose one of the options."),
        # Free text would be published unreviewed: only comments are, after review.
        ({"label": "Why", "kind": "text", "visibility": "public"}, "cannot be public"),
    ],
)
def test_a_question_the_rules_refuse_is_explained_and_not_added(
    app, admin_client, fields, message
):
    statement_id = _statement_id(app)
    response = _add(admin_client, statement_id, **fields)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(StatementQuestion.id))) == 0


def test_answers_are_validated_like_every_other_field_and_nothing_half_written(
    app, client, admin_client
):
    names = _three_questions(admin_client, _statement_id(app))
    cases = [
        ({names["members"]: ""}, "Please answer this question."),
        ({names["members"]: "1.200"}, "Please write a whole number in digits"),
        ({names["members"]: "-5"}, "Please write a whole number in digits"),
        ({names["members"]: "99999999999"}, "That number is too large."),
        ({names["members"]: "9" * 5000}, "That number is too large."),  # past int()'s limit
        ({names["members"]: "12", names["region"]: "West"}, "Please choose an answer from"),
        ({names["members"]: "12", names["sector"]: "see https://spam.example"}, "web or email"),
    ]
    for answers, message in cases:
        response = sign(client, SLUG, **answers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, answers
        assert message in html, (answers, message)
    assert signatures(app) == [] and _answers(app) == []


def test_answers_are_stored_with_a_new_signature_only(app, client, admin_client):
    names = _three_questions(admin_client, _statement_id(app))
    response = sign(
        client,
        SLUG,
        **{names["members"]: " ١٢ ٥٠٠ ", names["region"]: "South", names["sector"]: "Docks"},
    )
    assert response.status_code == 303  # any script's digits, spaces between thousands
    assert _answers(app) == [("Members", "12500"), ("Region", "South"), ("Sector", "Docks")]
    # Signing again with the same address changes nothing, answers included.
    sign(client, SLUG, **{names["members"]: "3", names["region"]: "North"})
    assert len(signatures(app)) == 1
    assert _answers(app)[0] == ("Members", "12500")


def _verified_with_answers(app, client, admin_client, **changes: str) -> dict[str, str]:
    names = _three_questions(admin_client, _statement_id(app))
    sign(
        client,
        SLUG,
        **{names["members"]: "12500", names["region"]: "South", names["sector"]: "Docks"},
        **changes,
    )
    client.post(link_in(outbox(app)[0], "confirm"))
    queue = admin_client.get("/admin/").get_data(as_text=True)
    # The queue shows every answer, the private one marked as such.
    assert "Members" in queue and "12500" in queue and "(not public)" in queue
    signature_id = re.search(r"/admin/signatures/(\d+)/verify", queue).group(1)
    admin_client.post(
        f"/admin/signatures/{signature_id}/verify", data={"csrf_token": csrf_token(queue)}
    )
    return names


def test_public_answers_are_listed_and_private_ones_appear_nowhere_public(
    app, client, admin_client
):
    _verified_with_answers(app, client, admin_client)
    page = _list_of(client.get(f"/s/{SLUG}").get_data(as_text=True))
    assert "<dt>Region</dt><dd><bdi>South</bdi></dd>" in page
    public = [
        page,
        client.get(f"/s/{SLUG}/signatories").get_data(as_text=True),
        client.get(f"/s/{SLUG}/signatories.json").get_data(as_text=True),
        client.get(f"/s/{SLUG}/signatories.csv").get_data(as_text=True),
        client.get(f"/api/v1/statements/{SLUG}/signatories").get_data(as_text=True),
        client.get(f"/s/{SLUG}/feed.atom").get_data(as_text=True),
        client.get(f"/s/{SLUG}/embed").get_data(as_text=True),
        client.get(f"/s/{SLUG}/print").get_data(as_text=True),
    ]
    for body in public:
        assert "12500" not in body and "Members" not in body
        assert "Docks" not in body and "Sector" not in body
    download = client.get(f"/s/{SLUG}/signatories.csv").get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(download.lstrip("\ufeff"))))
    assert row["Region"] == "South" and "answers" not in row and "Members" not in row
    [record] = client.get(f"/api/v1/statements/{SLUG}/signatories").json["signatories"]
    assert record["answers"] == {"Region": "South"}
    download = json.loads(public[2])
    assert download["verified"] == 1 and download["signatories"][0]["answers"] == {
        "Region": "South"
    }


def test_an_unnamed_signatory_s_public_answers_are_not_shown(app, client, admin_client):
    _verified_with_answers(app, client, admin_client, listing="count")
    page = _list_of(client.get(f"/s/{SLUG}").get_data(as_text=True))
    assert "South" not in page and "Region" not in page


def test_withdrawal_erases_the_answers(app, client, admin_client):
    _verified_with_answers(app, client, admin_client)
    assert client.post(link_in(outbox(app)[0], "withdraw")).status_code == 303
    assert _answers(app) == []
    assert "Region" not in _list_of(client.get(f"/s/{SLUG}").get_data(as_text=True))


def test_a_purged_unconfirmed_signature_takes_its_answers_along(app, client, admin_client, runner):
    names = _three_questions(admin_client, _statement_id(app))
    sign(client, SLUG, **{names["members"]: "7"})
    with app.app_context(), write_transaction():
        signature = db.session.scalar(db.select(Signature))
        signature.created_at -= dt.timedelta(days=40)
        signature.confirmation_sent_at -= dt.timedelta(days=40)
    assert "Deleted 1" in runner.invoke(args=["signatures", "purge-unconfirmed"]).output
    assert _answers(app) == []


def test_the_persons_data_export_holds_every_answer(app, client, admin_client):
    _verified_with_answers(app, client, admin_client)
    token = csrf_token(admin_client.get("/admin/people").get_data(as_text=True))
    response = admin_client.post(
        "/admin/people/export",
        data={"email": VALID_FORM["contact_email"], "csrf_token": token},
    )
    [record] = json.loads(response.get_data(as_text=True))["signatures"]
    assert record["answers"] == [
        {"question": "Members", "answer": "12500", "public": False},
        {"question": "Region", "answer": "South", "public": True},
        {"question": "Sector", "answer": "Docks", "public": False},
    ]


def test_removing_a_question_deletes_its_answers_and_is_audited(app, client, admin_client):
    _verified_with_answers(app, client, admin_client)
    with app.app_context():
        other = make_statement("another").id
        region = db.session.scalar(
            db.select(StatementQuestion.id).where(StatementQuestion.label == "Region")
        )
        statement_id = db.session.scalar(db.select(Statement.id).where(Statement.slug == SLUG))
    page = admin_client.get(QUESTIONS.format(id=statement_id)).get_data(as_text=True)
    assert "Remove, with its 1 answer" in page
    remove = f"/admin/statements/{statement_id}/questions/{region}/remove"
    assert admin_client.post(remove).status_code == 400  # no CSRF token
    token = csrf_token(page)
    wrong = f"/admin/statements/{other}/questions/{region}/remove"
    assert admin_client.post(wrong, data={"csrf_token": token}).status_code == 404
    response = admin_client.post(remove, data={"csrf_token": token}, follow_redirects=True)
    assert "The question is removed, with its 1 answer." in response.get_data(as_text=True)
    assert [label for label, _value in _answers(app)] == ["Members", "Sector"]
    [event] = [e for e in audit_log(app) if e.action is AuditAction.remove_question]
    assert event.changes["label"] == ["Region", None] and event.detail == "1 answers deleted"
    page = client.get(f"/s/{SLUG}").get_data(as_text=True)
    assert "Region" not in page  # off the form and the list


def test_the_confirmation_page_shows_every_answer_and_which_will_be_public(
    app, client, admin_client
):
    names = _three_questions(admin_client, _statement_id(app))
    sign(client, SLUG, **{names["members"]: "40", names["region"]: "East"})
    html = client.get(link_in(outbox(app)[0], "confirm")).get_data(as_text=True)
    assert '<dt><bdi>Members</bdi></dt><dd><bdi>40</bdi> <span class="hint">(seen only' in html
    assert '<dd><bdi>East</bdi> <span class="hint">(shown on the list with the name)' in html


def test_a_question_asked_already_is_refused_whatever_its_case(app, admin_client):
    statement_id = _statement_id(app)
    assert _add(admin_client, statement_id, label="Region").status_code == 302
    response = _add(admin_client, statement_id, label="  REGION ")
    assert response.status_code == 400
    assert "This statement asks this question already." in response.get_data(as_text=True)


def test_answers_to_questions_gone_or_of_another_statement_are_dropped(app, admin_client):
    """The page's copy of a statement is kept a second: a question may go meanwhile."""
    from signon.services import signing, statements

    statement_id = _statement_id(app)
    _three_questions(admin_client, statement_id)
    with app.app_context():
        other = make_statement("another")
        foreign = StatementQuestion(statement_id=other.id, position=1, label="Other", kind="text")
        with write_transaction():
            db.session.add(foreign)
        region = db.session.scalar(
            db.select(StatementQuestion.id).where(StatementQuestion.label == "Region")
        )
        view = statements.statement_view(SLUG)
        data = signing.SignatureData(
            org_name="Late Union",
            org_type="union",
            country="DE",
            contact_name="Sam",
            contact_email="late@example.org",
            answers=((region, "North"), (foreign.id, "Elsewhere"), (999_999, "Gone")),
        )
        prepared = signing.prepare(view, data)
        with write_transaction():
            assert signing.submit(prepared, ip=None) is signing.Submission.created
    assert _answers(app) == [("Region", "North")]


def test_options_typed_in_a_browser_textarea_are_taken_line_by_line(app, admin_client):
    """Browsers send a textarea's line breaks as CRLF."""
    statement_id = _statement_id(app)
    response = _add(
        admin_client, statement_id, label="Region", kind="choice", options="North\r\nSouth\r\n"
    )
    assert response.status_code == 302
    with app.app_context():
        [question] = db.session.scalars(db.select(StatementQuestion)).all()
        assert question.option_list == ["North", "South"]


def test_a_question_asked_of_organisations_only_is_not_asked_of_people(app, client, admin_client):
    from signon.models import WhoMaySign

    with app.app_context():
        statement_id = make_statement(SLUG, who_may_sign=WhoMaySign.both).id
    _add(
        admin_client,
        statement_id,
        label="Members",
        kind="number",
        required="y",
        asked_of="organisation",
    )
    html = client.get(f"/s/{SLUG}").get_data(as_text=True)
    [name] = re.findall(r'name="(question_\d+)"', html)
    assert '<div class="for-organisation"><div class="field' in html.replace("\n", "")
    person = {
        "kind": "person",
        "person_name": "Dana Example",
        "country": "FR",
        "contact_email": "dana@example.org",
        "person_listing": "count",
        "consent": "y",
        name: "12",  # typed, then hidden by choosing "in my own name": not kept
    }
    assert client.post(f"/s/{SLUG}/sign", data=person).status_code == 303
    assert _answers(app) == []
    # An organisation must answer it.
    response = sign(client, SLUG, kind="organisation")
    assert response.status_code == 422 and "Please answer this question." in response.get_data(
        as_text=True
    )
    assert sign(client, SLUG, kind="organisation", **{name: "300"}).status_code == 303
    assert _answers(app) == [("Members", "300")]


def test_a_statement_asks_at_most_ten_questions(app, admin_client):
    statement_id = _statement_id(app)
    for n in range(10):
        assert _add(admin_client, statement_id, label=f"Q{n}").status_code == 302
    page = admin_client.get(QUESTIONS.format(id=statement_id)).get_data(as_text=True)
    assert "A statement may ask at most 10 questions." in page and "Add the question" not in page
    response = _add(admin_client, statement_id, label="One more")
    assert response.status_code == 409


def test_a_logged_out_visitor_gets_the_login_page_never_the_questions(app, client):
    statement_id = _statement_id(app)
    url = QUESTIONS.format(id=statement_id)
    for response in (client.get(url), client.post(url, data={"label": "X", "kind": "text"})):
        assert response.status_code in (302, 400)
        assert "Questions on the sign-on form" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(StatementQuestion.id))) == 0


def test_questions_are_worded_in_each_language_on_the_translation_screen(
    app, client, admin_client
):
    """Readers of a language get the questions in it; answers keep the original's wording."""
    statement_id = _statement_id(app)
    names = _three_questions(admin_client, statement_id)
    url = f"/admin/statements/{statement_id}/translations/ru"
    page = admin_client.get(url).get_data(as_text=True)
    assert 'Question 2: <bdi lang="en">Region</bdi>' in page
    data = {
        "csrf_token": csrf_token(page),
        "title": "Заявление",
        "body": "Текст.\n",
        "save": "1",
        f"{names['members']}_label": "Число членов",
        f"{names['region']}_label": "Регион",
        f"{names['region']}_options": "Север\nЮг",  # one short of the original's three
    }
    response = admin_client.post(url, data=data)
    assert response.status_code == 400 and "3 lines" in response.get_data(as_text=True)
    data[f"{names['region']}_options"] = "Север\r\nЮг\r\nВосток"
    assert admin_client.post(url, data=data).status_code == 302
    edit = audit_log(app)[-1]
    assert edit.detail == "questions, translation ru"
    assert edit.changes["question 2 (ru)"] == [
        None,
        {"label": "Регион", "hint": "", "options": ["Север", "Юг", "Восток"]},
    ]

    html = client.get(f"/s/{SLUG}?lang=ru").get_data(as_text=True)
    assert f'<label for="{names["members"]}">Число членов</label>' in html
    assert '<option value="South">Юг</option>' in html
    assert f'<label for="{names["sector"]}">Sector</label>' in html  # not translated: original
    english = client.get(f"/s/{SLUG}?lang=en").get_data(as_text=True)
    assert '<option value="South">South</option>' in english
    response = client.post(
        f"/s/{SLUG}/sign?lang=ru",
        data={**VALID_FORM, names["members"]: "5", names["region"]: "South"},
    )
    assert response.status_code == 303
    assert ("Region", "South") in _answers(app)  # the original's wording, whatever was read
    # An empty label takes the translation away again.
    page = admin_client.get(url).get_data(as_text=True)
    assert 'value="Число членов"' in page
    data = {**data, "csrf_token": csrf_token(page), f"{names['members']}_label": ""}
    assert admin_client.post(url, data=data).status_code == 302
    html = client.get(f"/s/{SLUG}?lang=ru").get_data(as_text=True)
    assert f'<label for="{names["members"]}">Members</label>' in html


def test_a_translation_of_the_questions_is_checked_like_the_original(app, admin_client):
    statement_id = _statement_id(app)
    names = _three_questions(admin_client, statement_id)
    url = f"/admin/statements/{statement_id}/translations/ru"
    base = {"title": "Заявление", "body": "Текст.\n", "save": "1"}
    cases = [
        ({f"{names['region']}_options": "Х\nХ\nХ", f"{names['region']}_label": "Регион"}, "once"),
        ({f"{names['region']}_options": "Север\nЮг\nВосток"}, "Please word the question"),
        ({f"{names['members']}_hint": "Подсказка"}, "Please word the question"),
    ]
    for fields, message in cases:
        token = csrf_token(admin_client.get(url).get_data(as_text=True))
        response = admin_client.post(url, data={**base, **fields, "csrf_token": token})
        assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_a_wording_in_the_statements_own_language_is_never_shown(app, client, admin_client):
    """Switching the original's language must not let a saved wording hide the original."""
    statement_id = _statement_id(app)
    names = _three_questions(admin_client, statement_id)
    with app.app_context(), write_transaction():
        question = db.session.scalar(
            db.select(StatementQuestion).where(StatementQuestion.label == "Members")
        )
        question.translations = {"en": {"label": "Stale wording", "hint": ""}}
        db.session.get(Statement, statement_id).public_version += 1
    html = client.get(f"/s/{SLUG}?lang=en").get_data(as_text=True)
    assert f'<label for="{names["members"]}">Members</label>' in html
