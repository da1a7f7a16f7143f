"""The public list as files: CSV and JSON, streamed a batch of rows at a time.

Both are built from ``PublicSignatory`` alone (services.public), so they can
hold nothing the public list does not show. The record's field names are
the public API's too: changing one breaks everyone who reuses the data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

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
# imports are not all checked, so every cell is neutralised here.
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


def _cell(value: object) -> str:
    """A CSV cell: text neutralised, None empty, a flag "true" or "false" as in the JSON."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    text = value if type(value) is str else str(value)
    # neutralise(), written out: this runs for each of a million cells.
    return "'" + text if text[:1] in _FORMULA_STARTS else text


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
    rows: list[list[str]] = []
    for signatory in signatories:
        *values, answers = _values(signatory)
        rows.append(
            [_cell(value) for value in values]
            + [_cell(answers.get(question, "")) for question in questions]
        )
        if len(rows) == _ROWS_PER_CHUNK:
            writer.writerows(rows)
            rows.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(rows)
    yield buffer.getvalue()


# Made once: json.dumps with any option builds a new encoder on every call.
_JSON = json.JSONEncoder(ensure_ascii=False)


def json_chunks(head: dict[str, Any], signatories: Iterable[PublicSignatory]) -> Iterator[str]:
    """``head`` with a ``signatories`` array after it, as one JSON object, in chunks."""
    opening = _JSON.encode(head)
    yield opening[:-1] + (', "signatories": [' if head else '"signatories": [')
    rows: list[str] = []
    separator = "\n"
    for signatory in signatories:
        rows.append(separator + _JSON.encode(record(signatory)))
        separator = ",\n"
        if len(rows) == _ROWS_PER_CHUNK:
            yield "".join(rows)
            rows.clear()
    yield "".join(rows) + "\n]}\n"
