"""The command-line interface."""

from __future__ import annotations

import datetime as dt

from factories import make_signature, make_statement
from helpers import outbox, sign, signatures

from signon.database import utcnow, write_transaction
from signon.extensions import db
from signon.models import Admin, Signature, SignatureState, Statement, StatementState


def test_admin_create_reads_the_password_from_stdin(runner, app):
    """`flask admin create EMAIL --password-stdin` makes an account."""
    result = runner.invoke(
        args=["admin", "create", "ops@example.org", "--password-stdin"],
        input="a sufficiently long password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(Admin.email)) == "ops@example.org"


def test_admin_create_prompts_twice(runner, app):
    """Without --password-stdin the password is asked for twice."""
    result = runner.invoke(
        args=["admin", "create", "ops@example.org"],
        input="a sufficiently long password\na sufficiently long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password: " in result.output and "Repeat for confirmation" in result.output


def test_admin_create_refuses_short_passwords_and_duplicates(runner):
    """Clear errors, non-zero exit."""
    short = runner.invoke(
        args=["admin", "create", "a@example.org", "--password-stdin"], input="x\n"
    )
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    args = ["admin", "create", "a@example.org", "--password-stdin"]
    assert runner.invoke(args=args, input="long enough password\n").exit_code == 0
    again = runner.invoke(args=args, input="long enough password\n")
    assert again.exit_code == 1 and "already exists" in again.output


def test_demo_load_is_the_reference_statement_and_can_run_twice(runner, app):
    """`flask demo load` loads the WSA statement with its six footnotes."""
    for _ in range(2):
        result = runner.invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        [statement] = db.session.scalars(db.select(Statement)).all()
        assert statement.title == "WSA Statement on the Atrocities Committed in Chechnya"
        assert statement.publisher == "Workers’ Solidarity Alliance"
        assert statement.published_on == dt.date(2017, 4, 13)
        assert statement.state is StatementState.open and statement.needs_verification
        assert "Leave a Reply" not in statement.body
    html = app.test_client().get(f"/s/{statement.slug}").get_data(as_text=True)
    assert html.count('class="footnote-item"') == 6
    assert "Novaya Gazeta article that broke the story." in html
    assert "13 April 2017" in html


def test_statements_import_creates_then_updates(runner, app, tmp_path):
    """`flask statements import FILE.md` creates a statement, then updates it."""
    path = tmp_path / "s.md"
    path.write_text(
        "---\nslug: my-statement\ntitle: One\npublisher: Us\nstate: open\n---\n"
        "Body[^1]\n\n[^1]: Source.\n"
    )
    assert "Created" in runner.invoke(args=["statements", "import", str(path)]).output
    path.write_text(path.read_text().replace("title: One", "title: Two"))
    assert "Updated" in runner.invoke(args=["statements", "import", str(path)]).output
    with app.app_context():
        assert db.session.scalar(db.select(Statement.title)) == "Two"


def test_statements_import_explains_a_bad_file(runner, tmp_path):
    """A file without settings is refused with the reason."""
    path = tmp_path / "bad.md"
    path.write_text("just text\n")
    result = runner.invoke(args=["statements", "import", str(path)])
    assert result.exit_code == 1 and "must start with a '---'" in result.output


def test_purge_unconfirmed_deletes_only_old_pending_signatures(runner, app, client):
    """Pending signatures past the retention period go, with their emails."""
    with app.app_context():
        make_statement()
    sign(client, "test-statement", contact_email="old@example.org")
    sign(client, "test-statement", contact_email="new@example.org")
    with app.app_context():
        old = db.session.scalar(
            db.select(Signature).where(Signature.contact_email == "old@example.org")
        )
        old.created_at -= dt.timedelta(days=40)
        old.confirmation_sent_at -= dt.timedelta(days=31)
        db.session.commit()
    result = runner.invoke(args=["signatures", "purge-unconfirmed"])
    assert result.exit_code == 0 and "Deleted 1" in result.output
    assert [s.contact_email for s in signatures(app)] == ["new@example.org"]
    assert [m.recipient for m in outbox(app)] == ["new@example.org"]


def test_purge_deletes_signatures_rejected_a_month_ago_with_their_answers(runner, app):
    """Rejected signatures were never public; after the retention period they go."""
    with app.app_context():
        statement = make_statement()
        old = make_signature(statement, SignatureState.rejected, contact_email="old@example.org")
        make_signature(statement, SignatureState.rejected, contact_email="new@example.org")
        make_signature(statement, SignatureState.verified, contact_email="listed@example.org")
        with write_transaction():
            db.session.get(Signature, old.id).rejected_at -= dt.timedelta(days=31)
    result = runner.invoke(args=["signatures", "purge-unconfirmed"])
    assert result.exit_code == 0
    assert "Deleted 1 signature(s) rejected more than 30 days ago." in result.output
    assert sorted(s.contact_email for s in signatures(app)) == [
        "listed@example.org",
        "new@example.org",
    ]


def test_statements_import_reads_a_deadline_and_checks_lengths(runner, app, tmp_path):
    """signing_deadline (with an offset, converted to UTC) and over-long values."""
    path = tmp_path / "s.md"
    path.write_text(
        "---\nslug: dated\ntitle: T\npublisher: P\nstate: open\n"
        "signing_deadline: 2030-01-01T12:00+02:00\n---\nBody\n"
    )
    assert runner.invoke(args=["statements", "import", str(path)]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(db.select(Statement.signing_deadline)) == dt.datetime(
            2030, 1, 1, 10, 0
        )
    path.write_text("---\nslug: " + "a" * 81 + "\ntitle: T\npublisher: P\n---\nBody\n")
    result = runner.invoke(args=["statements", "import", str(path)])
    assert result.exit_code == 1 and "at most 80 characters" in result.output
    path.write_text("---\nslug: bad-date\ntitle: T\npublisher: P\nsigning_deadline: soon\n---\n")
    result = runner.invoke(args=["statements", "import", str(path)])
    assert result.exit_code == 1 and "Invalid isoformat" in result.output


def test_purge_sent_deletes_only_old_delivered_email(runner, app, client):
    """Delivered emails past retention go; queued, failed and recent ones stay."""
    from signon.models import OutboxMessage, OutboxState

    with app.app_context():
        make_statement()
    for n in range(4):
        sign(client, "test-statement", contact_email=f"p{n}@example.org")
    long_ago = dt.datetime(2000, 1, 1)
    with app.app_context():
        rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        rows[0].state, rows[0].sent_at = OutboxState.sent, long_ago
        rows[1].state, rows[1].sent_at = OutboxState.sent, utcnow()
        rows[2].state, rows[2].failed_at = OutboxState.failed, long_ago
        db.session.commit()
    result = runner.invoke(args=["outbox", "purge-sent"])
    assert result.exit_code == 0 and "Deleted 1 sent email" in result.output
    assert [m.recipient for m in outbox(app)] == [
        "p1@example.org",
        "p2@example.org",
        "p3@example.org",
    ]


def test_purge_commands_take_days_or_their_setting(runner, app_factory):
    """--days overrides the setting; without it the configured period is used."""
    app = app_factory(UNCONFIRMED_RETENTION_DAYS=7)
    runner = app.test_cli_runner()
    assert "older than 7 days" in runner.invoke(args=["signatures", "purge-unconfirmed"]).output
    result = runner.invoke(args=["outbox", "purge-sent", "--days", "3"])
    assert "older than 3 days" in result.output
    assert runner.invoke(args=["outbox", "purge-sent", "--days", "0"]).exit_code == 2
