"""Screenshots of the main pages, at desktop and phone widths, for the README.

    make screenshots

Runs the app on a throwaway SQLite database with the demo statement and a
few made-up signatories, and photographs it in headless Chromium (Debian's,
never a downloaded one) into docs/screenshots/. Everything stays on
127.0.0.1.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from signon import create_app  # noqa: E402
from signon.cli import DEMO_STATEMENT  # noqa: E402
from signon.database import db, utcnow, write_transaction  # noqa: E402
from signon.models import OrganisationType, Signature  # noqa: E402
from signon.services import authoring, statements  # noqa: E402
from signon.services.addresses import configured_canonical_email  # noqa: E402
from signon.services.languages import LANGUAGES  # noqa: E402

CHROMIUM = os.environ.get("SIGNON_TEST_CHROMIUM", "/usr/bin/chromium")
OUT = ROOT / "docs" / "screenshots"
WIDTHS = {"desktop": (1280, 900), "phone": (375, 740)}
# (file name, path, browser language)
PAGES = [
    ("statement", "/s/wsa-chechnya-2017", "en"),
    ("statement-ar", "/s/wsa-chechnya-2017", "ar"),
    ("statement-ru", "/s/wsa-chechnya-2017", "ru"),
    ("signatories", "/s/wsa-chechnya-2017/signatories", "en"),
    ("figures", "/s/wsa-chechnya-2017/figures", "en"),
    ("check-your-email", "/s/wsa-chechnya-2017/signed", "es"),
]
SIGNATORIES = [
    ("Sindicato de Estibadores de Valparaíso", OrganisationType.union, "CL", "Valparaíso"),
    ("Rainbow Workers Union", OrganisationType.union, "GB", "Leeds"),
    ("Профсоюз «Действие»", OrganisationType.union, "RU", ""),
    ("Collectif Solidarité Queer", OrganisationType.collective, "FR", "Lyon"),
    ("Freie Arbeiter*innen Union", OrganisationType.union, "DE", "Berlin"),
    ("Asociación Libertad", OrganisationType.ngo, "AR", "Rosario"),
    ("شبكة التضامن العمالي", OrganisationType.collective, "LB", "بيروت"),
]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="signon-shots-"))
    app = create_app(
        {
            "ENV": "development",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'shots.db'}",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        with write_transaction():
            statement, _ = authoring.import_statement(DEMO_STATEMENT.read_text("utf-8"))
            for language in LANGUAGES:
                translation = DEMO_STATEMENT.with_suffix(f".{language}.md")
                if translation.exists():
                    authoring.import_statement(translation.read_text("utf-8"), language)
            for n, (name, kind, country, city) in enumerate(SIGNATORIES):
                email = f"contact{n}@example.org"
                signature = Signature(
                    statement_id=statement.id,
                    org_name=name,
                    org_type=kind,
                    country=country,
                    city=city,
                    contact_name=f"Contact {n}",
                    contact_email=email,
                    email_canonical=configured_canonical_email(email),
                    confirmation_sent_at=utcnow(),
                )
                db.session.add(signature)
                db.session.flush()
                signature.confirm(verify=False)
                signature.verify()
            statements.public_change(statement.id)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_port}"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        for width_name, (width, height) in WIDTHS.items():
            for name, path, language in PAGES:
                context = browser.new_context(
                    viewport={"width": width, "height": height}, locale=language
                )
                page = context.new_page()
                page.goto(origin + path)
                target = OUT / f"{name}-{width_name}.png"
                page.screenshot(path=str(target))
                print(target.relative_to(ROOT))
                context.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
