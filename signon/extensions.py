"""Flask extensions, created unbound and initialised by the factory.

Models and services import from here, never from the package root, so the
import graph has no cycle. This module imports nothing of signon's own. The
rate limiter lives with its keys in ``signon.ratelimits``.
"""

from __future__ import annotations

from flask import Response
from flask_babel import Babel
from flask_caching import Cache
from flask_cors import CORS
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base with named constraints, so migrations can refer to them."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class AdminLoginManager(LoginManager):
    """Flask-Login without "remember me", which signon does not offer.

    Flask-Login's after-request hook for the remember cookie looks into the
    session on every response, and a session that was looked at makes Flask
    send ``Vary: Cookie``: shared caches would then stop serving public pages.
    """

    def _update_remember_cookie(self, response: Response) -> Response:
        return response


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
mail = Mail()
csrf = CSRFProtect()
login_manager = AdminLoginManager()
cache = Cache()
cors = CORS()
babel = Babel()
