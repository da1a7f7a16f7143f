"""Settings: environments, SIGNON_* variables, DATABASE_URL, production guards."""

from __future__ import annotations

import pytest

from signon import create_app


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


@pytest.mark.parametrize("secret", [None, "dev-only-secret-key-change-me", ""])
def test_production_refuses_a_missing_or_default_secret_key(monkeypatch, secret, tmp_path):
    """Production will not start with the default secret key, or none."""
    monkeypatch.delenv("SIGNON_ENV", raising=False)
    monkeypatch.setenv("SIGNON_BASE_URL", "https://sign.example.org")
    if secret is None:
        monkeypatch.delenv("SIGNON_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SIGNON_SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SIGNON_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_production_requires_a_base_url(monkeypatch, tmp_path):
    """Links in emails need the public address; production insists on it."""
    monkeypatch.delenv("SIGNON_ENV", raising=False)
    monkeypatch.delenv("SIGNON_BASE_URL", raising=False)
    monkeypatch.setenv("SIGNON_SECRET_KEY", "x" * 64)
    with pytest.raises(RuntimeError, match="SIGNON_BASE_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


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
    with pytest.raises(RuntimeError, match="SIGNON_ENV"):
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
