"""The public list as files: CSV and JSON, streamed a batch of rows at a time.

Both are built from ``PublicSignatory`` alone (services.public), so they can
hold nothing the public list does not show. The record's field names are
the public API's too: changing one breaks everyone who reuses the data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

from .countries import country_name
from .public import PublicSignatory

# The columns of the CSV, in order, and the keys of each JSON record.
FIELDS = (
    "name",
    "type",
    "country",
    "country_name",
    "city",
    "website",
    "comment",
    "verified_at",
    "signed_version",
    "founding",
    "kind",
    "affiliation",
    "answers",
)
# A spreadsheet reads a cell that starts with one of these as a formula (or,
# for tab and carriage return, may strip them and then do so). The public
# form refuses most of them in names already; comments, cities and future
# imports are not all checked, so every cell of typed text is neutralised here.
_FORMULA_STARTS = frozenset("=+-@\t\r")
# Rows written between two chunks of a streamed file.
_ROWS_PER_CHUNK = 500


def timestamp(value: dt.datetime | None) -> str | None:
    """A stored UTC time in ISO 8601 with its zone: 2026-11-30T06:41:16Z."""
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def _values(signatory: PublicSignatory) -> tuple[Any, ...]:
    """One signatory's values, in the order of ``FIELDS``: the one place they are made."""
    return (
        signatory.org_name,
        # None for a person, who has no type of organisation.
        signatory.org_type.value if signatory.org_type else None,
        signatory.country,
        country_name(signatory.country),
        signatory.city,
        signatory.website,
        signatory.comment,
        timestamp(signatory.verified_at),
        signatory.signed_version,
        signatory.founding,
        signatory.kind.value,
        signatory.affiliation,
        # The answers to the statement's public questions, by question.
        dict(signatory.answers),
    )


def record(signatory: PublicSignatory) -> dict[str, Any]:
    """One signatory as the exports and the API give it."""
    return dict(zip(FIELDS, _values(signatory), strict=True))


def _column(question: str) -> str:
    """A question's column name, kept apart from the fixed columns' names."""
    return f"{question} (answer)" if question in FIELDS else question


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet will show it and never run it: "=1+1" → "'=1+1"."""
    return "'" + cell if cell[:1] in _FORMULA_STARTS else cell


def _csv_row(signatory: PublicSignatory, questions: Sequence[str]) -> tuple[object, ...]:
    """One signatory's CSV cells, in the order of the header.

    Only the text people typed is neutralised: the other values are the
    site's own (codes, country names, timestamps, numbers), none of which
    starts like a formula. The csv module writes None as an empty cell and
    numbers as digits; a flag is "true" or "false", as in the JSON.
    """
    (
        name,
        org_type,
        country,
        country_label,
        city,
        website,
        comment,
        verified_at,
        version,
        founding,
        kind,
        affiliation,
        answers,
    ) = _values(signatory)
    return (
        neutralise(name),
        org_type,
        country,
        country_label,
        neutralise(city),
        neutralise(website),
        neutralise(comment),
        verified_at,
        version,
        "true" if founding else "false",
        kind,
        neutralise(affiliation),
        *(neutralise(answers.get(question, "")) for question in questions),
    )


def csv_chunks(
    signatories: Iterable[PublicSignatory], questions: Sequence[str] = ()
) -> Iterator[str]:
    """The CSV file, header first, in chunks of a few hundred rows.

    Each of the statement's public ``questions`` has a column after the
    fixed ones, headed by the question. The file starts with a byte order
    mark, without which spreadsheet programs read UTF-8 as a legacy code
    page and garble every accented name.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    fixed = [name for name in FIELDS if name != "answers"]
    writer.writerow([*fixed, *(neutralise(_column(question)) for question in questions)])
    rows: list[tuple[object, ...]] = []
    for signatory in signatories:
        rows.append(_csv_row(signatory, questions))
        if len(rows) == _ROWS_PER_CHUNK:
            writer.writerows(rows)
            rows.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(rows)
    yield buffer.getvalue()


def json_chunks(head: dict[str, Any], signatories: Iterable[PublicSignatory]) -> Iterator[bytes]:
    """``head`` with a ``signatories`` array after it, as one UTF-8 JSON object, in chunks.

    Compact, one record a line. orjson, not the json module: encoding was
    a third of a whole-list download's time, and orjson takes a tenth of it.
    """
    opening = orjson.dumps(head)
    yield opening[:-1] + (b',"signatories":[' if head else b'"signatories":[')
    rows: list[bytes] = []
    separator = b"\n"
    for signatory in signatories:
        rows.append(separator + orjson.dumps(record(signatory)))
        separator = b",\n"
        if len(rows) == _ROWS_PER_CHUNK:
            yield b"".join(rows)
            rows.clear()
    yield b"".join(rows) + b"\n]}\n"
