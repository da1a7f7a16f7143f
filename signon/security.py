"""Response headers every page gets, and the default of not being cached.

The Content-Security-Policy allows our own origin only and no inline script
or style: no page loads anything from another site (SPEC, privacy), and an
injected script would not run. Pages are not framed by others; a page meant
for an iframe sets its own policy. Referrer-Policy is
strict-origin-when-cross-origin rather than no-referrer: Flask-WTF's CSRF
check on HTTPS requires a same-origin Referer on every admin form POST.
"""

from __future__ import annotations

from flask import Flask, Response, current_app

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
HSTS = "max-age=63072000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Add the headers to every response, error pages and static files included."""
    app.after_request(_secure_headers)


def _secure_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
        headers.setdefault("X-Frame-Options", "DENY")  # for browsers without CSP 2
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if current_app.config["ENV"] == "production":
        headers["Strict-Transport-Security"] = HSTS
    # Default-deny caching: a page is cacheable only when its view says so
    # (public.views.cacheable). Forms with typed-in data, confirm pages and
    # admin pages hold personal data no shared cache may keep.
    if "Cache-Control" not in headers:
        response.cache_control.no_store = True
    return response
