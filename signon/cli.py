"""Command-line interface: ``flask --app wsgi <group> <command>``."""

from __future__ import annotations

import logging
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask, current_app
from flask.cli import AppGroup

from .database import checkpoint_after_erasure, write_transaction
from .models import Admin
from .services import (
    admins,
    authoring,
    delivery,
    outbox,
    privacy,
    reconfirmation,
    retention,
    statements,
)
from .services.languages import LANGUAGES

admin_cli = AppGroup("admin", help="Manage admin accounts.")
outbox_cli = AppGroup("outbox", help="Deliver queued email.")
demo_cli = AppGroup("demo", help="Demonstration content.")
signatures_cli = AppGroup("signatures", help="Maintain signatures.")
statements_cli = AppGroup("statements", help="Manage statements.")

DEMO_STATEMENT = Path(__file__).parent / "demo" / "wsa-chechnya-statement-2017.md"


def init_app(app: Flask) -> None:
    """Register the command groups."""
    for group in (admin_cli, outbox_cli, demo_cli, signatures_cli, statements_cli):
        app.cli.add_command(group)


_PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from one line of standard input."
)


@admin_cli.command("create")
@click.argument("email")
@_PASSWORD_STDIN
def create_admin(email: str, password_stdin: bool) -> None:
    """Create an admin account for EMAIL (asks for the password twice)."""
    password = _read_password(password_stdin)
    try:
        with write_transaction():
            admins.create_admin(email, password)
    except admins.AdminError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created admin {email.strip().lower()}.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _existing_admin(email: str) -> Admin:
    admin = admins.find_admin(email)
    if admin is None:
        raise click.ClickException(f"There is no admin {email.strip().lower()}.")
    return admin


@admin_cli.command("password")
@click.argument("email")
@_PASSWORD_STDIN
def set_password(email: str, password_stdin: bool) -> None:
    """Set a new password for EMAIL; every browser logged in as EMAIL is logged out."""
    password = _read_password(password_stdin)
    try:
        with write_transaction():
            admins.set_password(_existing_admin(email), password)
    except admins.AdminError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Password changed; every session of {email.strip().lower()} has ended.")


@admin_cli.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Stop EMAIL from logging in, and end every session it has now."""
    with write_transaction():
        admins.set_active(_existing_admin(email), False)
    click.echo(f"Deactivated {email.strip().lower()}; its sessions have ended.")


@admin_cli.command("activate")
@click.argument("email")
def activate(email: str) -> None:
    """Let a deactivated EMAIL log in again."""
    with write_transaction():
        admins.set_active(_existing_admin(email), True)
    click.echo(f"Activated {email.strip().lower()}.")


def _timed_duties() -> int:
    """The worker's timed duties: launch statements whose time came, then queue a
    batch of "the text you signed has changed" emails; how many emails it queued.

    ``outbox.work`` runs them once per poll interval, and again at once while
    they queue mail."""
    # Read first: an idle worker must not take SQLite's write lock every poll.
    if authoring.launch_is_due():
        with write_transaction():
            authoring.launch_due()
    if not reconfirmation.any_due():
        return 0
    with write_transaction():
        return reconfirmation.queue_due(RECONFIRMATIONS_PER_BATCH)


# Small: each batch is rendered inside one write transaction, which on
# SQLite holds up sign-ons for as long as it lasts (about 1.5 ms an email).
RECONFIRMATIONS_PER_BATCH = 50


@outbox_cli.command("work")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def work(once: bool) -> None:
    """Deliver queued email through SMTP, retrying with backoff.

    Runs until stopped (SIGTERM or Ctrl-C finish the message in hand first).
    Several workers may run against PostgreSQL; on SQLite, run one.
    """
    config = current_app.config
    suppressed = current_app.extensions["mail"].suppress  # Flask-Mail's, incl. testing
    if not config.get("MAIL_SERVER") and not suppressed:
        raise click.ClickException(
            "No mail server is configured: set SIGNON_MAIL_SERVER (and SIGNON_MAIL_PORT, "
            "SIGNON_MAIL_USERNAME, ...). In development, read the email at /dev/mailbox."
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    if not once and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    report = outbox.work(
        once=once, stop=stop, poll_seconds=config["OUTBOX_POLL_SECONDS"], feed=_timed_duties
    )
    click.echo(f"Sent {report.sent}, retrying {report.retrying}, failed {report.failed}.")
    if report.database_errors:
        raise click.ClickException(
            "The database could not be reached; nothing was lost, queued mail waits."
        )


def _days_option(setting: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """--days N; the command falls back to the retention ``setting``."""
    return click.option(
        "--days",
        type=click.IntRange(min=1),
        default=None,
        help=f"Retention period in days (default: {setting}).",
    )


@outbox_cli.command("purge-sent")
@_days_option("SENT_EMAIL_RETENTION_DAYS")
def purge_sent(days: int | None) -> None:
    """Delete delivered emails older than the retention period."""
    days = days or current_app.config["SENT_EMAIL_RETENTION_DAYS"]
    with write_transaction():
        count = retention.purge_sent_email(days)
    checkpoint_after_erasure()  # the emails held names and addresses
    click.echo(f"Deleted {count} sent email(s) older than {days} days.")


@demo_cli.command("load")
def load_demo() -> None:
    """Load the demo statement (safe to run again: it updates in place)."""
    with write_transaction():
        statement, created = authoring.import_statement(DEMO_STATEMENT.read_text("utf-8"))
        slug = statement.slug
        # Its translations sit beside it: <name>.<language>.md.
        for language in LANGUAGES:
            translation = DEMO_STATEMENT.with_suffix(f".{language}.md")
            if translation.exists():
                authoring.import_statement(translation.read_text("utf-8"), language)
    verb = "Loaded" if created else "Updated"
    click.echo(f"{verb} the demo statement at /s/{slug}.")


@statements_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--language",
    type=click.Choice(list(LANGUAGES)),
    help="The file is the statement in this language: a translation of one already "
    "imported (its settings block holds only slug and title).",
)
def import_statement(path: Path, language: str | None) -> None:
    """Create or update a statement, or a translation of one, from a Markdown file.

    The settings are signon's own ``key: value`` lines or the YAML front
    matter of a WordPress or Hugo export; without a slug, the file's name
    gives one.
    """
    try:
        text = path.read_text("utf-8")
        with write_transaction():
            statement, created = authoring.import_statement(
                text, language, default_slug=statements.slug_from(path.stem)
            )
            slug, original = statement.slug, statement.language
    except (statements.StatementImportError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    ignored = statements.ignored_settings(text)
    if ignored:
        click.echo(f"Ignored front matter signon does not use: {', '.join(ignored)}.")
    verb = "Created" if created else "Updated"
    if language and language != original:
        click.echo(f"{verb} the {LANGUAGES[language]} text of /s/{slug}.")
    else:
        click.echo(f"{verb} statement /s/{slug}.")


@statements_cli.command("launch-due")
def launch_due() -> None:
    """Make public every draft whose launch time has passed (the outbox worker does it too)."""
    with write_transaction():
        launched = authoring.launch_due()
    click.echo(f"Statements launched: {launched}.")


@statements_cli.command("pack")
@click.argument("slug")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the ZIP (default: its own name, in the current folder).",
)
def pack(slug: str, output: Path | None) -> None:
    """Make the delivery pack of a statement: text, list, CSV, JSON, signed manifest."""
    statement = statements.statement_view(slug)
    if statement is None:
        raise click.ClickException(f"No published statement at /s/{slug}.")
    folder = output.parent if output else Path.cwd()
    # Written beside its destination, then renamed: never half a pack under its name.
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".zip.part", delete=False) as out:
        try:
            made = delivery.build(statement, out)
        except BaseException:
            Path(out.name).unlink()
            raise
    target = output or folder / made.name
    Path(out.name).replace(target)
    counts = made.manifest["counts"]
    click.echo(
        f"Wrote {target}: {counts['listed']} named of {counts['organisations']} signatures, "
        f"signed by the key with fingerprint {made.manifest['key']['fingerprint']}."
    )


@statements_cli.command("verify-pack")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A public key (PEM) to check against instead of this site's.",
)
def verify_pack(path: Path, key: Path | None) -> None:
    """Check that a delivery pack is intact: exit 0 if so, 1 with the reasons if not."""
    public = None
    if key is not None:
        loaded = serialization.load_pem_public_key(key.read_bytes())
        if not isinstance(loaded, Ed25519PublicKey):
            raise click.ClickException(f"{key} is not an Ed25519 public key.")
        public = loaded
    with path.open("rb") as pack_file:
        verdict = delivery.verify(pack_file, public)
    if not verdict.intact:
        for problem in verdict.problems:
            click.echo(f"{path}: {problem}", err=True)
        sys.exit(1)
    manifest = verdict.manifest or {}
    click.echo(
        f"{path}: intact. Made {manifest['generated_at']} for "
        f"{manifest['statement']['url']}; {manifest['counts']['listed']} named signatories."
    )


@statements_cli.command("pack-key")
@click.option("--seed", is_flag=True, help="Print the private seed (for PACK_SIGNING_KEY).")
def pack_key(seed: bool) -> None:
    """Show the public key that signs delivery packs, and its fingerprint."""
    key = delivery.signing_key()
    if seed:
        click.echo(delivery.seed_of(key))
        return
    click.echo(delivery.public_key_pem().decode(), nl=False)
    click.echo(f"Fingerprint: {delivery.fingerprint()}")


@signatures_cli.command("purge-unconfirmed")
@_days_option("UNCONFIRMED_RETENTION_DAYS")
def purge_unconfirmed(days: int | None) -> None:
    """Delete signatures never confirmed within the retention period.

    Also deletes signatures rejected more than REJECTED_RETENTION_DAYS ago,
    clears the network hashes of signatures older than a day and deletes the
    keys of past days: schedule it daily (hourly keeps less).
    """
    days = days or current_app.config["UNCONFIRMED_RETENTION_DAYS"]
    rejected_days = current_app.config["REJECTED_RETENTION_DAYS"]
    with write_transaction():
        count = retention.purge_unconfirmed(days)
        rejected = retention.purge_rejected(rejected_days)
        cleared = privacy.forget_networks()
    checkpoint_after_erasure()
    click.echo(f"Deleted {count} unconfirmed signature(s) older than {days} days.")
    click.echo(f"Deleted {rejected} signature(s) rejected more than {rejected_days} days ago.")
    click.echo(f"Forgot the network of {cleared} signature(s) older than a day.")
