"""The API's documents and query arguments, as marshmallow schemas.

They describe the API (the OpenAPI document is generated from them) and
check its query arguments. The signatory records themselves are built by
services.exports.record, the same as the downloads; a test keeps
``SignatorySchema`` and ``exports.FIELDS`` equal.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, fields, validate

from ..models import OrganisationType, SignatoryKind
from ..services.countries import country_choices
from ..services.listing import Order
from ..web.list_form import SEARCH_MAX_LENGTH

MAX_PER_PAGE = 100
TYPES = [t.value for t in OrganisationType]
# A "type" of the list's filters, and of the counts by type: people who
# signed in their own name (whose own ``type`` is null).
PEOPLE = SignatoryKind.person.value


class SignatorySchema(Schema):
    """A verified signatory that asked to be named: public fields only."""

    name = fields.Str(
        required=True,
        metadata={"description": "The organisation's name, or a person's own."},
    )
    type = fields.Str(
        required=True,
        allow_none=True,
        validate=validate.OneOf(TYPES),
        metadata={"description": "The type of organisation; null for a person."},
    )
    country = fields.Str(
        required=True, metadata={"description": "ISO 3166-1 alpha-2 code.", "example": "FR"}
    )
    country_name = fields.Str(required=True, metadata={"description": "In English."})
    city = fields.Str(required=True, metadata={"description": "Empty when not given."})
    website = fields.Str(required=True, metadata={"description": "Empty when not given."})
    comment = fields.Str(
        required=True, metadata={"description": "Empty unless the publisher approved one."}
    )
    verified_at = fields.Str(
        required=True,
        metadata={"description": "When it was listed, UTC, ISO 8601.", "format": "date-time"},
    )
    signed_version = fields.Int(
        required=True,
        allow_none=True,
        metadata={
            "description": "The version of the statement's text it signed (see the statement's"
            " changelog); null where not recorded."
        },
    )
    founding = fields.Bool(
        required=True,
        metadata={"description": "Signed through the private link before the launch."},
    )
    kind = fields.Str(
        required=True,
        validate=validate.OneOf([kind.value for kind in SignatoryKind]),
        metadata={"description": "An organisation, or a person signing in their own name."},
    )
    affiliation = fields.Str(
        required=True,
        metadata={
            "description": "A person's affiliation, given for identification only;"
            " empty for an organisation."
        },
    )
    answers = fields.Dict(
        keys=fields.Str(),
        values=fields.Str(),
        required=True,
        metadata={
            "description": "Answers to the statement's public questions, by question;"
            " a question not answered is left out."
        },
    )


class LinksSchema(Schema):
    """Where to go from here."""

    self_ = fields.Str(required=True, data_key="self")
    html = fields.Str(metadata={"description": "The page people read."})
    signatories = fields.Str()
    versions = fields.Str(metadata={"description": "The changelog of the text, for people."})
    next = fields.Str()
    prev = fields.Str()


class StatementSchema(Schema):
    """A published statement and its headline figures."""

    slug = fields.Str(required=True)
    title = fields.Str(required=True)
    publisher = fields.Str(required=True)
    published_on = fields.Date(required=True, allow_none=True)
    state = fields.Str(required=True, validate=validate.OneOf(["open", "closed"]))
    taking_signatures = fields.Bool(required=True)
    signatories = fields.Int(
        required=True, metadata={"description": "Verified signatures, named or not."}
    )
    organisations = fields.Int(
        required=True, metadata={"description": "Of them, by organisations."}
    )
    people = fields.Int(
        required=True, metadata={"description": "Of them, by people in their own name."}
    )
    countries = fields.Int(required=True)
    unnamed = fields.Int(required=True, metadata={"description": "Asked not to be named."})
    version = fields.Int(
        required=True, metadata={"description": "The number of the text's version in force."}
    )
    links = fields.Nested(LinksSchema, required=True)


class StatementListSchema(Schema):
    statements = fields.List(fields.Nested(StatementSchema), required=True)


class CountryCountSchema(Schema):
    country = fields.Str(required=True)
    country_name = fields.Str(required=True)
    signatories = fields.Int(required=True, metadata={"description": "Listed by name."})


class TypeCountSchema(Schema):
    type = fields.Str(
        required=True,
        validate=validate.OneOf([*TYPES, PEOPLE]),
        metadata={"description": 'A type of organisation, or "person" for individuals.'},
    )
    label = fields.Str(required=True)
    signatories = fields.Int(required=True, metadata={"description": "Listed by name."})


class StatementDetailSchema(StatementSchema):
    """A statement with its named signatories counted by country and by type."""

    by_country = fields.List(fields.Nested(CountryCountSchema), required=True)
    by_type = fields.List(fields.Nested(TypeCountSchema), required=True)


class SignatoryPageSchema(Schema):
    """A page of a statement's named signatories."""

    total = fields.Int(required=True, metadata={"description": "Signatories found."})
    page = fields.Int(required=True)
    pages = fields.Int(required=True)
    per_page = fields.Int(required=True)
    signatories = fields.List(fields.Nested(SignatorySchema), required=True)
    links = fields.Nested(LinksSchema, required=True)


class ErrorBodySchema(Schema):
    status = fields.Int(required=True)
    title = fields.Str(required=True)
    message = fields.Str(required=True, metadata={"description": "What went wrong, for people."})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


# The query's error messages, in the reader's language: lazy strings, as
# marshmallow's own messages are English only. Its validators fill in
# "{...}" fields of a message (str.format), so the values are put in here.
_NOT_AN_INTEGER = {"invalid": _l("Not a valid integer.")}


def _one_of(choices: list[str]) -> validate.OneOf:
    error = _l("Must be one of: %(choices)s.", choices=", ".join(choices))
    return validate.OneOf(choices, error=error)


def _range(low: int, high: int) -> validate.Range:
    error = _l(
        "Must be greater than or equal to %(min)s and less than or equal to %(max)s.",
        min=low,
        max=high,
    )
    return validate.Range(min=low, max=high, error=error)


class SignatoryQuerySchema(Schema):
    """The query arguments of a statement's signatories: the list page's, as an API."""

    class Meta:
        # A misspelt filter ("contry=FR") must not quietly return everyone.
        unknown = RAISE

    error_messages = {  # noqa: RUF012 -- marshmallow's own class attribute
        "unknown": _l("Unknown field."),
        "type": _l("Invalid input type."),
    }

    q = fields.Str(
        load_default="",
        validate=validate.Length(
            max=SEARCH_MAX_LENGTH,
            error=_l("Longer than maximum length %(max)s.", max=SEARCH_MAX_LENGTH),
        ),
        metadata={"description": "Words the name contains, whatever the case and accents."},
    )
    country = fields.Str(
        load_default=None,
        validate=validate.OneOf(
            [code for code, _name in country_choices()],
            error=_l("Not an ISO 3166-1 alpha-2 country code."),
        ),
        metadata={"description": "ISO 3166-1 alpha-2 code."},
    )
    type = fields.Str(
        load_default=None,
        validate=_one_of([*TYPES, PEOPLE]),
        metadata={"description": 'A type of organisation, or "person" for individuals.'},
    )
    sort = fields.Str(load_default=Order.name.value, validate=_one_of([o.value for o in Order]))
    page = fields.Int(
        load_default=1, validate=_range(1, 1_000_000), error_messages=_NOT_AN_INTEGER
    )
    per_page = fields.Int(
        load_default=MAX_PER_PAGE,
        validate=_range(1, MAX_PER_PAGE),
        error_messages=_NOT_AN_INTEGER,
    )
