"""Default settings for each environment.

The application factory applies one of these classes, then every environment
variable named ``SIGNON_<KEY>`` (Flask's ``from_prefixed_env``: values are read
as JSON when they parse, e.g. ``SIGNON_MAIL_PORT=587``), then ``DATABASE_URL``.
The environment is chosen by ``SIGNON_ENV`` (``production`` when unset, so a
forgotten variable fails closed rather than running with development defaults).
"""

from __future__ import annotations

from typing import ClassVar

# A value no deployment may keep: production refuses to start with it.
DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 -- the refused default


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = DEFAULT_SECRET_KEY
    # Public base URL: every link in an email is built from it, never from the
    # Host header of the request that caused the email.
    BASE_URL = "http://127.0.0.1:5000"
    # Name shown in the page header and in email signatures.
    SITE_NAME = "signon"
    # The publisher's identity, in front of the software's: a colour for
    # links, buttons and the count ("#7a1f3d"; it must read on white, at
    # least 4.5:1), and a logo file (SVG or PNG, served from this site) shown
    # beside the name in every page's header.
    BRAND_COLOUR: str | None = None
    BRAND_LOGO: str | None = None

    # None means: SQLite in the instance folder (see signon.database).
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLITE_BUSY_TIMEOUT_MS = 5000

    # Mail. With no MAIL_SERVER the outbox is kept and shown on the
    # development mailbox page (development only) instead of being sent.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "signon <noreply@localhost>"
    MAIL_TIMEOUT = 30  # seconds for connect and every SMTP command
    OUTBOX_BATCH_SIZE = 50
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_BACKOFF_SECONDS = 60  # doubled after every failed attempt
    OUTBOX_MAX_BACKOFF_SECONDS = 6 * 3600
    OUTBOX_POLL_SECONDS = 5.0
    # A message claimed by a worker that died is handed out again after this.
    OUTBOX_LEASE_SECONDS = 600

    # Tokens in emailed links.
    CONFIRM_TOKEN_MAX_AGE = 7 * 24 * 3600
    # Withdrawing must stay possible for as long as a name can be public.
    WITHDRAW_TOKEN_MAX_AGE: int | None = None
    # `flask signatures purge-unconfirmed` deletes what was never confirmed,
    # and signatures rejected this many days ago (never public, and nothing
    # an admin needs to decide again).
    UNCONFIRMED_RETENTION_DAYS = 30
    REJECTED_RETENTION_DAYS = 30
    # `flask outbox purge-sent` deletes delivered emails older than this.
    SENT_EMAIL_RETENTION_DAYS = 30
    # A repeat submission re-sends the confirmation at most this often.
    CONFIRM_RESEND_INTERVAL = 15 * 60

    # Providers that ignore dots and "+tag" in the local part of an address;
    # two addresses that differ only so count as one signatory.
    CANONICAL_EMAIL_DOMAINS: ClassVar[list[str]] = ["gmail.com"]
    # Domains that are another name of the same mailboxes, compared as the
    # domain they stand for (after which CANONICAL_EMAIL_DOMAINS applies).
    EMAIL_DOMAIN_ALIASES: ClassVar[dict[str, str]] = {"googlemail.com": "gmail.com"}
    # email-validator's DNS check; off by default (no network at sign-up).
    EMAIL_CHECK_DELIVERABILITY = False

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers
    # are trusted. 0 trusts none, which is right when nothing is in front.
    TRUSTED_PROXIES = 0

    # Rate limits (Flask-Limiter), per network and per email address named in
    # a form. Limiter state is in memory, per process; with several processes
    # or machines, share it: SIGNON_RATELIMIT_STORAGE_URI=redis://host:6379.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True  # Retry-After and X-RateLimit-*
    # If Redis is unreachable, count in memory rather than refuse everyone.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SIGN = "20 per minute;200 per hour"
    RATELIMIT_SIGN_PER_ADDRESS = "5 per hour"
    RATELIMIT_CONFIRM = "20 per minute;200 per hour"
    # Who may show /s/<slug>/embed in a frame (CSP frame-ancestors): any site
    # by default, since it shows only public figures and offers no action.
    # For example "https://union.example https://*.union.example".
    EMBED_FRAME_ANCESTORS = "*"
    # The site's Ed25519 key for delivery packs, as a base64 32-byte seed. Unset:
    # derived from SECRET_KEY (see `flask statements pack-key`).
    PACK_SIGNING_KEY = ""
    PACK_CHECK_MAX_BYTES = 64 * 1024 * 1024  # the largest pack /pack will check
    RATELIMIT_EXPORT = "10 per minute;100 per hour"  # full downloads, not 304s
    RATELIMIT_SEARCH = "30 per minute;300 per hour"  # list pages with a search, per network
    RATELIMIT_API = "120 per minute;3000 per hour"  # every /api/v1 request
    RATELIMIT_LOGIN = "10 per minute;100 per day"  # failed attempts per network
    RATELIMIT_LOGIN_PER_ACCOUNT = "10 per hour"  # failed, per account and network
    # An account that failed more than this from anywhere is slowed down, not
    # locked: every attempt on it (right or wrong) waits its turn, as below.
    LOGIN_SLOWDOWN_AFTER = "20 per hour"
    RATELIMIT_LOGIN_SLOWED = "1 per 5 seconds"

    # Admin sessions end after this long without a request, and this long
    # after logging in whatever happens (signon.services.admins).
    ADMIN_SESSION_IDLE_MINUTES = 30
    ADMIN_SESSION_MAX_HOURS = 12

    # Public pages, rendered once per version of what they show (Flask-Caching).
    # Per process by default; with several processes or machines, share it:
    # SIGNON_CACHE_TYPE=RedisCache SIGNON_CACHE_REDIS_URL=redis://host:6379/1.
    CACHE_TYPE = "SimpleCache"
    CACHE_DEFAULT_TIMEOUT = 600  # entries are versioned; this only frees memory
    CACHE_THRESHOLD = 2000  # entries a SimpleCache keeps
    # Statements that need no verification list a signature when it is
    # confirmed, at the pace of the spike; their pages are reused this long.
    PUBLIC_MICROCACHE_SECONDS = 2
    # Each process reuses what it read of a statement (its public version
    # included) this long: a spike of readers costs a query a second.
    STATEMENT_CACHE_SECONDS = 1.0

    # The development mailbox page lists every queued email with its links.
    DEV_MAILBOX = False

    # Admin password hashing (Argon2id, memory-hard); argon2-cffi's defaults.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024  # KiB

    WTF_CSRF_TIME_LIMIT = None  # admin tokens live as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 64 * 1024  # no form of ours comes close


class DevelopmentConfig(Config):
    """``make run``: SQLite, demo data, emails on the mailbox page."""

    DEBUG = True
    DEV_MAILBOX = True


class TestingConfig(Config):
    """The test suite. Tests pass the database URI themselves."""

    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105 -- tests only
    BASE_URL = "http://signon.test"
    # The cheapest Argon2 parameters: tests hash many passwords.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    MAIL_TIMEOUT = 5
    # Tests sign many times from one address; the rate limit tests turn it on.
    RATELIMIT_ENABLED = False
    # Tests look at a page right after changing it; the cache has a test of its own.
    STATEMENT_CACHE_SECONDS = 0.0


class ProductionConfig(Config):
    """Real deployments: secure cookies; secret key and base URL required."""

    BASE_URL = ""
    SESSION_COOKIE_SECURE = True


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
