"""Settings: environments, SIGNON_* variables, DATABASE_URL, production guards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from signon import ConfigurationError, create_app

REPO = Path(__file__).resolve().parent.parent


def test_signon_variables_override_defaults(monkeypatch, tmp_path):
    """SIGNON_<KEY> sets a setting; JSON values arrive typed."""
    monkeypatch.setenv("SIGNON_MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("SIGNON_MAIL_PORT", "587")
    app = create_app({"ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["MAIL_SERVER"] == "smtp.example.org"
    assert app.config["MAIL_PORT"] == 587


def test_database_url_is_honoured_and_pointed_at_psycopg(monkeypatch):
    """DATABASE_URL wins over the default, and postgres:// uses psycopg 3."""
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.invalid:5432/signon")
    monkeypatch.setenv("SIGNON_ENV", "testing")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.invalid:5432/signon"


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    """With no database configured, SQLite lives in the instance folder."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SIGNON_INSTANCE_PATH", str(tmp_path))
    app = create_app({"ENV": "development"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/signon.sqlite"


def test_canonical_domains_accept_a_comma_separated_variable(monkeypatch, tmp_path):
    """SIGNON_CANONICAL_EMAIL_DOMAINS may be a plain list of names."""
    monkeypatch.setenv("SIGNON_CANONICAL_EMAIL_DOMAINS", "gmail.com, proton.me")
    app = create_app({"ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["CANONICAL_EMAIL_DOMAINS"] == ["gmail.com", "proton.me"]


@pytest.mark.parametrize("value", ["0", "-3", '"thirty"', "true"])
def test_a_retention_period_is_a_number_of_days(monkeypatch, tmp_path, value):
    """0 days would make the next purge delete every rejected signature at once."""
    monkeypatch.setenv("SIGNON_REJECTED_RETENTION_DAYS", value)
    with pytest.raises(ConfigurationError, match="REJECTED_RETENTION_DAYS must be a whole"):
        create_app({"ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    monkeypatch.setenv("SIGNON_REJECTED_RETENTION_DAYS", "7")
    app = create_app({"ENV": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["REJECTED_RETENTION_DAYS"] == 7


@pytest.mark.parametrize("secret", [None, "dev-only-secret-key-change-me", ""])
def test_production_refuses_a_missing_or_default_secret_key(monkeypatch, secret, tmp_path):
    """Production will not start with the default secret key, or none."""
    monkeypatch.delenv("SIGNON_ENV", raising=False)
    monkeypatch.setenv("SIGNON_BASE_URL", "https://sign.example.org")
    if secret is None:
        monkeypatch.delenv("SIGNON_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SIGNON_SECRET_KEY", secret)
    with pytest.raises(ConfigurationError, match="SIGNON_SECRET_KEY") as refused:
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert "For local use, set SIGNON_ENV=development." in str(refused.value)
    # SystemExit with text for its code: Python prints it and exits with status 1.
    assert refused.value.code == str(refused.value)


def test_production_requires_a_base_url(monkeypatch, tmp_path):
    """Links in emails need the public address; production insists on it."""
    monkeypatch.delenv("SIGNON_ENV", raising=False)
    monkeypatch.delenv("SIGNON_BASE_URL", raising=False)
    monkeypatch.setenv("SIGNON_SECRET_KEY", "x" * 64)
    with pytest.raises(ConfigurationError, match="SIGNON_BASE_URL") as refused:
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert "For local use, set SIGNON_ENV=development." in str(refused.value)
    assert refused.value.code == str(refused.value)


def test_production_starts_with_its_settings_and_secure_cookies(monkeypatch, tmp_path):
    """With a real key and base URL, production starts; cookies are Secure."""
    monkeypatch.delenv("SIGNON_ENV", raising=False)
    monkeypatch.setenv("SIGNON_SECRET_KEY", "x" * 64)
    monkeypatch.setenv("SIGNON_BASE_URL", "https://sign.example.org")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["ENV"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert "dev" not in app.blueprints, "the development mailbox must not exist in production"


def test_unknown_environment_is_refused(monkeypatch):
    """A typo in SIGNON_ENV stops the app instead of guessing."""
    monkeypatch.setenv("SIGNON_ENV", "prod")
    with pytest.raises(ConfigurationError, match="SIGNON_ENV"):
        create_app()


def test_wsgi_exposes_app(monkeypatch, tmp_path):
    """`gunicorn wsgi:app` finds a Flask app."""
    import importlib
    import sys

    monkeypatch.setenv("SIGNON_ENV", "development")
    monkeypatch.setenv("SIGNON_INSTANCE_PATH", str(tmp_path))
    sys.modules.pop("wsgi", None)
    wsgi = importlib.import_module("wsgi")
    assert wsgi.app.name == "signon"
    sys.modules.pop("wsgi", None)


def _production_env(tmp_path: Path) -> dict[str, str]:
    """This process's environment, minus every setting: production, no key."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SIGNON_") and k not in ("DATABASE_URL", "SERVER_SOFTWARE")
    }
    env["SIGNON_INSTANCE_PATH"] = str(tmp_path)
    return env


def _refusal() -> str:
    try:
        create_app({"ENV": "production", "SECRET_KEY": None})
    except ConfigurationError as exc:
        return str(exc)
    raise AssertionError("production started without a secret key")


def test_a_command_without_settings_prints_one_sentence_and_exits_1(tmp_path):
    """`flask --app wsgi admin create` with no SIGNON_ENV: the sentence, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "admin", "create", "a@b.org"],
        cwd=REPO,
        env=_production_env(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == _refusal()
    assert "SIGNON_ENV=development" in result.stderr
    assert result.stdout == ""


@pytest.mark.slow
def test_gunicorn_check_config_prints_one_sentence_and_exits_1(tmp_path):
    """`gunicorn --check-config wsgi:app` loads the app in the master: SystemExit as is."""
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "wsgi:app"],
        cwd=REPO,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == _refusal()


@pytest.mark.slow
def test_gunicorn_stops_with_the_sentence_instead_of_restarting_workers(tmp_path):
    """Workers exit with gunicorn's "App failed to load" status; the master stops.

    One worker: with several, gunicorn 27's master can meet the second failed
    worker while it is already halting (``stop()`` reaps, and reaping raises
    ``HaltServer`` again), so it still stops but with status 1 and a traceback
    of its own. The app's part, status 4 and one sentence, is the same.
    """
    args = ["-w", "1", "-b", "127.0.0.1:0", "--no-control-socket"]  # none in $HOME
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", *args, "wsgi:app"],
        cwd=REPO,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,  # a master that restarts workers for ever never gets here
    )
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    assert _refusal() in result.stderr.splitlines()
    assert "App failed to load" in result.stderr


def test_production_over_plain_http_is_refused_with_the_fix(monkeypatch):
    """An http:// base URL would silently break admin logins: say so at start-up."""
    monkeypatch.setenv("SIGNON_SECRET_KEY", "a" * 64)
    monkeypatch.setenv("SIGNON_BASE_URL", "http://sign.example.org")
    monkeypatch.delenv("SIGNON_ENV", raising=False)
    with pytest.raises(ConfigurationError, match="only sent over HTTPS"):
        create_app()
    monkeypatch.setenv("SIGNON_SESSION_COOKIE_SECURE", "false")
    assert create_app().config["BASE_URL"] == "http://sign.example.org"
