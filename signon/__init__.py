"""signon: publish a statement, collect confirmed and verified co-signatures."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, DEFAULT_SECRET_KEY

from . import (
    cli,
    database,
    errors,
    filters,
    i18n,
    logs,
    ratelimits,
    routing,
    security,
    static_routes,
)
from .extensions import cache, cors, csrf, login_manager, mail, migrate
from .services.languages import DEFAULT_LANGUAGE, LANGUAGES

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application.

    Settings come from the ``config.py`` class named by ``SIGNON_ENV``
    (production when unset), then ``SIGNON_*`` environment variables, then
    ``DATABASE_URL``, then ``overrides`` (the test suite's).
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=os.environ.get("SIGNON_INSTANCE_PATH") or str(ROOT / "instance"),
    )
    env = (overrides or {}).get("ENV") or os.environ.get("SIGNON_ENV", "production")
    if env not in CONFIGS:
        raise ConfigurationError(f"SIGNON_ENV must be one of {', '.join(CONFIGS)}, not {env!r}.")
    app.config.from_object(CONFIGS[env])
    app.config["ENV"] = env
    app.config.from_prefixed_env("SIGNON")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.update(overrides or {})
    _check_config(app)
    # The session cookie lives no longer than the session it names.
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(
        hours=app.config["ADMIN_SESSION_MAX_HOURS"]
    )

    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    # First, so that its checks of a request's body run before CSRFProtect's
    # and the limiter's: a JSON body gets a 415, not a CSRF error.
    security.init_app(app)
    database.init_app(app)
    migrate.init_app(app, database.db, directory=str(ROOT / "migrations"))
    mail.init_app(app)
    cache.init_app(app)
    csrf.init_app(app)
    # Not Flask-Login's template context processor: it reads the session on
    # every page, which marks public pages "Vary: Cookie" and defeats caches.
    # The admin blueprint provides current_user to its own templates.
    login_manager.init_app(app, add_context_processor=False)
    ratelimits.init_app(app)
    i18n.init_app(app)

    # The API is public data: any site may read it from a browser. GET only,
    # never with cookies (there are none to send), and the ETag readable.
    cors.init_app(
        app,
        resources={r"/api/v1/*": {"origins": "*"}, r"/s/[^/]+/count\.json": {"origins": "*"}},
        methods=["GET"],
        send_wildcard=True,  # "*", not the caller's origin: one cached copy for all
        expose_headers=["ETag", "Retry-After"],
        supports_credentials=False,
        max_age=86400,
    )

    from . import admin, api, public, signing

    routing.init_app(app)
    static_routes.init_app(app)
    logs.init_app(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(signing.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(api.bp)
    if app.config["DEV_MAILBOX"] and env == "development":
        from . import dev

        app.register_blueprint(dev.bp)

    errors.init_app(app)
    filters.init_app(app)
    cli.init_app(app)
    return app


def _check_brand(config: dict[str, Any]) -> None:
    """The publisher's colour must read on white; the logo must be a file a browser shows."""
    colour = config.get("BRAND_COLOUR")
    if colour:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            raise ConfigurationError(
                f"SIGNON_BRAND_COLOUR is {colour!r}: write it as # and six hex digits, "
                "such as #7a1f3d."
            )
        if contrast_with_white(colour) < 4.5:
            raise ConfigurationError(
                f"SIGNON_BRAND_COLOUR {colour} is too light to read on white "
                f"({contrast_with_white(colour):.1f}:1; links and buttons need 4.5:1). "
                "Choose a darker shade."
            )
    logo = config.get("BRAND_LOGO")
    if logo:
        if not Path(logo).is_file():
            raise ConfigurationError(f"SIGNON_BRAND_LOGO: there is no file at {logo}.")
        if Path(logo).suffix.lower() not in static_routes.LOGO_TYPES:
            raise ConfigurationError("SIGNON_BRAND_LOGO must be an .svg, .png or .webp file.")


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of ``#rrggbb`` text on white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


class ConfigurationError(SystemExit):
    """A setting the app will not start with; the message says how to fix it.

    A SystemExit, so that no traceback buries the sentence: Python prints an
    exit "code" that is text to stderr and exits with status 1, and Flask's
    CLI (like ``gunicorn --check-config``) lets SystemExit through. A running
    gunicorn needs more: its master restarts a worker that exited with
    status 1 for ever, and stops only on status 4 ("App failed to load").
    There the sentence is written here and the status is 4.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # Set by gunicorn's master, inherited by its workers.
        if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
            # Straight to the descriptor: the process exits right after.
            os.write(2, f"{message}\n".encode())
            self.code = 4  # gunicorn.arbiter.Arbiter.APP_LOAD_ERROR


def _check_config(app: Flask) -> None:
    """Refuse settings that would be unsafe in production, in one sentence."""
    config = app.config
    if isinstance(config.get("CANONICAL_EMAIL_DOMAINS"), str):
        # Also accept SIGNON_CANONICAL_EMAIL_DOMAINS=gmail.com,googlemail.com
        config["CANONICAL_EMAIL_DOMAINS"] = [
            d.strip() for d in config["CANONICAL_EMAIL_DOMAINS"].split(",") if d.strip()
        ]
    _check_brand(config)
    for name in (
        "UNCONFIRMED_RETENTION_DAYS",
        "REJECTED_RETENTION_DAYS",
        "SENT_EMAIL_RETENTION_DAYS",
    ):
        days = config.get(name)
        # The purge commands delete what is older: 0 would delete it all at once.
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ConfigurationError(
                f"SIGNON_{name} must be a whole number of days, 1 or more, not {days!r}."
            )
    if config["ENV"] != "production":
        return
    if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
        raise ConfigurationError(
            "Set SIGNON_SECRET_KEY to a long random value (for example the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`); production "
            "refuses to start without one. For local use, set SIGNON_ENV=development."
        )
    if not config.get("BASE_URL", "").startswith(("https://", "http://")):
        raise ConfigurationError(
            "Set SIGNON_BASE_URL to the public address of the site, such as "
            "https://sign.example.org: links in emails are built from it. "
            "For local use, set SIGNON_ENV=development."
        )
    missing = [
        code
        for code in LANGUAGES
        if code != DEFAULT_LANGUAGE
        and not (ROOT / "signon" / "translations" / code / "LC_MESSAGES" / "messages.mo").exists()
    ]
    if missing:
        # Otherwise every page would quietly be in English.
        raise ConfigurationError(
            f"The catalogues of {', '.join(missing)} are not compiled: run "
            "`pybabel compile -d signon/translations` (or `make translations`)."
        )
    if config["BASE_URL"].startswith("http://") and config.get("SESSION_COOKIE_SECURE"):
        # Otherwise the admin login fails with a bare "CSRF token missing": the
        # browser never sends the Secure session cookie back over plain http.
        raise ConfigurationError(
            f"SIGNON_BASE_URL is {config['BASE_URL']}, plain http: admin logins would "
            "fail, because the session cookie is only sent over HTTPS. Serve the site over "
            "HTTPS and set SIGNON_BASE_URL=https://…, or, for a closed test only, set "
            "SIGNON_SESSION_COOKIE_SECURE=false."
        )
