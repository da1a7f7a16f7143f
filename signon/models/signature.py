"""A signature: one organisation's endorsement of one statement."""

from __future__ import annotations

import datetime as dt
import enum
import re
import secrets
import unicodedata
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import utcnow
from ..extensions import db
from .statement import Statement
from .types import enum_column

if TYPE_CHECKING:
    from .question import SignatureAnswer


class SignatureState(enum.StrEnum):
    """The lifecycle in the SPEC; only ``verified`` is ever public."""

    pending = "pending"
    confirmed = "confirmed"
    verified = "verified"
    rejected = "rejected"
    withdrawn = "withdrawn"


class SignatoryKind(enum.StrEnum):
    """Who signs: an organisation (through a contact who is never shown) or a person."""

    organisation = "organisation"
    person = "person"


class OrganisationType(enum.StrEnum):
    """What kind of organisation signs; shown publicly."""

    union = "union"
    political = "political"
    collective = "collective"
    ngo = "ngo"
    media = "media"
    faith = "faith"
    other = "other"

    @property
    def label(self) -> str:
        """The name people read, in their language."""
        return gettext(_TYPE_LABELS[self])

    @property
    def english_label(self) -> str:
        """The name in English, for data meant for programs (the API, downloads)."""
        return _TYPE_LABELS[self]


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; it is translated where shown."""
    return message


_TYPE_LABELS = {
    OrganisationType.union: N_("Union"),
    OrganisationType.political: N_("Political organisation"),
    OrganisationType.collective: N_("Collective"),
    OrganisationType.ngo: N_("NGO"),
    OrganisationType.media: N_("Media"),
    OrganisationType.faith: N_("Faith group"),
    OrganisationType.other: N_("Other"),
}


# Latin letters with no decomposition into a base letter and a mark, folded to
# the letter they are alphabetised with; everything else NFKD takes care of.
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "ŧ": "t"}
    | {"æ": "ae", "œ": "oe", "þ": "th"}
)
_NOT_WORD = re.compile(r"[\W_]+")
NAME_KEY_LENGTH = 400


def fold_name(name: str) -> str:
    """``name`` as the public list sorts and searches it: "Élan-Vital" → "elan vital".

    Case, accents and punctuation go, so "ecole", "École" and "l'école"
    meet; every script keeps its own letters, in their alphabet's order.
    That is the Unicode collation's first level for the names signatories
    write, without a per-language collation (which would need ICU), and it
    can be indexed on SQLite and PostgreSQL alike.
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", letters.translate(_UNDECOMPOSED)).strip()[:NAME_KEY_LENGTH]


def _name_key_default(context: sa.engine.interfaces.ExecutionContext) -> str:
    return fold_name(context.get_current_parameters()["org_name"])


# The predicate of the public list's partial indexes: they hold only rows the
# public may see, so the signing spike's pending rows never touch them.
# services.public.listed says exactly this, as SQLite needs to use them.
LISTED = sa.and_(sa.column("state") == "verified", sa.column("show_name") == sa.true())


def _listing_index(name: str, *columns: str) -> sa.Index:
    """A partial index of the public list, in the order ``columns`` (then id).

    It leads with state and show_name although its WHERE fixes both: SQLite
    (without ANALYZE) prefers the index with the most equal columns, and
    would otherwise read every signature through ix_signature_statement_state.
    """
    return sa.Index(
        name,
        "statement_id",
        "state",
        "show_name",
        *columns,
        "id",
        sqlite_where=LISTED,
        postgresql_where=LISTED,
    )


def new_link_id() -> str:
    """A random, unguessable id for the links in a signature's emails."""
    return secrets.token_urlsafe(16)


class Signature(db.Model):
    """An organisation's or a person's signature, with an address that is never shown.

    Public: the name (``org_name``: the organisation's, or the person's own),
    the organisation's type, country, city, website, a person's affiliation,
    the approved comment, and whether the name is listed. Private, and erased
    on withdrawal: the contact's name, email and role, and the keyed IP hash.
    A person is their own contact: ``contact_name`` repeats their name.
    """

    __tablename__ = "signature"
    __table_args__ = (
        # One signature per person per statement. NULL after erasure, and
        # NULLs never collide, so a withdrawn signatory may sign again.
        sa.UniqueConstraint("statement_id", "email_canonical"),
        sa.Index("ix_signature_statement_state", "statement_id", "state"),
        # The public list's orders and filters (services.listing), so that a
        # deep page walks an index instead of sorting every signature.
        _listing_index("ix_signature_listed_by_name", "name_key"),
        _listing_index("ix_signature_listed_by_date", "verified_at"),
        _listing_index("ix_signature_listed_by_country", "country", "name_key"),
        _listing_index("ix_signature_listed_by_country_date", "country", "verified_at"),
        _listing_index("ix_signature_listed_by_type", "org_type", "name_key"),
        _listing_index("ix_signature_listed_by_type_date", "org_type", "verified_at"),
        # PostgreSQL only: trigrams of the name key, so a search (LIKE '%word%')
        # reads the matching rows instead of scanning the list (pg_trgm).
        sa.Index(
            "ix_signature_listed_name_trigrams",
            "name_key",
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
            postgresql_where=LISTED,
            info={"postgresql_only": True},
        ).ddl_if(dialect="postgresql"),
        # A signature that is still there has somewhere to send its links.
        sa.CheckConstraint(
            "state = 'withdrawn' OR (contact_email IS NOT NULL AND email_canonical IS NOT NULL)",
            name="live_has_contact",
        ),
        # Withdrawal erases everything that could identify anyone (withdraw()).
        sa.CheckConstraint(
            "state != 'withdrawn' OR (contact_name IS NULL AND contact_email IS NULL"
            " AND email_canonical IS NULL AND contact_role IS NULL AND ip_hash IS NULL"
            " AND rejection_reason IS NULL AND org_name = '' AND name_key = '' AND city = ''"
            " AND website = '' AND comment = '' AND affiliation = '')",
            name="withdrawn_is_erased",
        ),
        # An organisation has a type and no affiliation; a person has an
        # affiliation perhaps, and no type, website or role.
        sa.CheckConstraint(
            "(kind = 'organisation') = (org_type IS NOT NULL)",
            name="type_of_organisations_only",
        ),
        sa.CheckConstraint(
            "kind = 'person' OR affiliation = ''", name="affiliation_of_people_only"
        ),
        sa.CheckConstraint(
            "kind = 'organisation' OR (website = '' AND contact_role IS NULL)",
            name="people_have_no_website_or_role",
        ),
        # Every state but pending is reached by a transition that stamps it.
        sa.CheckConstraint(
            "(state != 'confirmed' OR confirmed_at IS NOT NULL)"
            " AND (state != 'verified' OR verified_at IS NOT NULL)"
            " AND (state != 'rejected' OR rejected_at IS NOT NULL)"
            " AND (state != 'withdrawn' OR withdrawn_at IS NOT NULL)",
            name="state_is_stamped",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What emailed links name instead of the row id, which would tell anyone
    # holding one link roughly how many signatures (pending ones too) exist.
    link_id: Mapped[str] = mapped_column(sa.String(32), unique=True, default=new_link_id)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("statement.id"))
    state: Mapped[SignatureState] = mapped_column(
        enum_column(SignatureState, "signature_state"), default=SignatureState.pending
    )

    kind: Mapped[SignatoryKind] = mapped_column(
        enum_column(SignatoryKind, "signatory_kind"),
        default=SignatoryKind.organisation,
        server_default=SignatoryKind.organisation.value,
    )
    # The public name: the organisation's, or the person's own. Kept under
    # its first name so that the list's indexes and every query stay as they are.
    org_name: Mapped[str] = mapped_column(sa.String(200))
    # fold_name(org_name), computed on insert: what the list sorts and searches by.
    name_key: Mapped[str] = mapped_column(
        sa.String(NAME_KEY_LENGTH), default=_name_key_default, server_default=""
    )
    # None for a person.
    org_type: Mapped[OrganisationType | None] = mapped_column(
        enum_column(OrganisationType, "organisation_type")
    )
    country: Mapped[str] = mapped_column(sa.String(2))  # ISO 3166-1 alpha-2
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    comment: Mapped[str] = mapped_column(sa.String(280), default="")
    # A person's organisation, university or role, "for identification
    # only": public with their name. Always empty for an organisation.
    affiliation: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    comment_approved: Mapped[bool] = mapped_column(default=False)
    # False: counted, but the name is not shown ("do not show our name").
    show_name: Mapped[bool] = mapped_column(default=True)

    contact_name: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    email_canonical: Mapped[str | None] = mapped_column(sa.String(254))
    contact_role: Mapped[str | None] = mapped_column(sa.String(100))
    # The language the signatory signed in (services.languages): every email
    # to them is written in it, whoever's action sends it. Reset on
    # withdrawal, with everything else that could say who signed.
    language: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    # The number of the statement's version (StatementVersion.number) that
    # was public when this was signed. No foreign key: adding one would
    # rebuild this, the largest table, on SQLite; versions are never deleted
    # but with their statement, whose signatures go with it.
    signed_version: Mapped[int | None]
    # Signed through the private link before the statement's launch.
    founding: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The version this signatory was last asked, by email, to confirm: the
    # worker asks each once per substantial change (services.reconfirmation).
    reconfirm_asked_for: Mapped[int | None]
    # HMAC of the signer's IP under a server key: enough to see many
    # signatures from one network, useless for finding the person.
    # It is keyed with the day's NetworkKey and cleared after a day (retention).
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    consented_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When the signatory was last emailed about a submission (confirmation
    # link, or a repeat's notice): repeats re-send at most once an interval.
    confirmation_sent_at: Mapped[dt.datetime | None]
    confirmed_at: Mapped[dt.datetime | None]
    verified_at: Mapped[dt.datetime | None]
    rejected_at: Mapped[dt.datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(sa.String(500))
    withdrawn_at: Mapped[dt.datetime | None]

    statement: Mapped[Statement] = relationship()
    # Its answers to the statement's own questions; withdrawal deletes them
    # (services.signing.withdraw), as the database does with the signature.
    answers: Mapped[list[SignatureAnswer]] = relationship(
        order_by="SignatureAnswer.question_id", viewonly=True
    )

    def confirm(self, *, verify: bool) -> bool:
        """pending → confirmed (or verified when ``verify``). False if not pending."""
        if self.state is not SignatureState.pending:
            return False
        self.state = SignatureState.confirmed
        self.confirmed_at = utcnow()
        if verify:
            self.verify()
        return True

    def verify(self) -> bool:
        """confirmed → verified: the signature becomes public."""
        if self.state is not SignatureState.confirmed:
            return False
        self.state = SignatureState.verified
        self.verified_at = utcnow()
        # Folded again as it goes public: a row inserted by code that knew no
        # key (say, during an upgrade) would otherwise be listed unsearchable.
        self.name_key = fold_name(self.org_name)
        return True

    def reject(self, reason: str | None = None) -> bool:
        """confirmed → rejected, with an optional reason kept for admins."""
        if self.state is not SignatureState.confirmed:
            return False
        self.state = SignatureState.rejected
        self.rejected_at = utcnow()
        self.rejection_reason = reason or None
        return True

    def withdraw(self) -> bool:
        """Any state → withdrawn, erasing every field that could identify anyone.

        The public name, city, website, affiliation and comment go too: a withdrawal
        often means signing became dangerous, and the row is kept only so that
        counts and the audit trail stay consistent.
        """
        if self.state is SignatureState.withdrawn:
            return False
        self.state = SignatureState.withdrawn
        self.withdrawn_at = utcnow()
        self.org_name = ""
        self.name_key = ""
        self.city = ""
        self.website = ""
        self.comment = ""
        self.affiliation = ""
        self.contact_name = None
        self.contact_email = None
        self.email_canonical = None
        self.contact_role = None
        self.ip_hash = None
        self.rejection_reason = None
        # No email goes to a withdrawn signature; the language it was read in
        # (Russian, on a statement about Chechnya) says something of who signed.
        self.language = "en"
        return True

    def __repr__(self) -> str:
        return f"<Signature {self.id} {self.state}>"
