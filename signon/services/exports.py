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
    return None if value is None else f"{value:%Y-%m-%dT%H:%M:%S}Z"


def record(signatory: PublicSignatory) -> dict[str, Any]:
    """One signatory as the exports and the API give it."""
    return {
        "name": signatory.org_name,
        # None for a person, who has no type of organisation.
        "type": signatory.org_type.value if signatory.org_type else None,
        "country": signatory.country,
        "country_name": country_name(signatory.country),
        "city": signatory.city,
        "website": signatory.website,
        "comment": signatory.comment,
        "verified_at": timestamp(signatory.verified_at),
        "signed_version": signatory.signed_version,
        "founding": signatory.founding,
        "kind": signatory.kind.value,
        "affiliation": signatory.affiliation,
        # The answers to the statement's public questions, by question.
        "answers": dict(signatory.answers),
    }


def _column(question: str) -> str:
    """A question's column name, kept apart from the fixed columns' names."""
    return f"{question} (answer)" if question in FIELDS else question


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet will show it and never run it: "=1+1" → "'=1+1"."""
    return "'" + cell if cell[:1] in _FORMULA_STARTS else cell


def _cell(value: object) -> str:
    """A CSV cell: text neutralised, None empty, a flag "true" or "false" as in the JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(str(value if value is not None else ""))


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
    for number, signatory in enumerate(signatories, 1):
        row = record(signatory)
        answers = row.pop("answers")
        writer.writerow(
            [_cell(value) for value in row.values()]
            + [_cell(answers.get(question, "")) for question in questions]
        )
        if number % _ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(head: dict[str, Any], signatories: Iterable[PublicSignatory]) -> Iterator[str]:
    """``head`` with a ``signatories`` array after it, as one JSON object, in chunks."""
    opening = json.dumps(head, ensure_ascii=False)
    yield opening[:-1] + (', "signatories": [' if head else '"signatories": [')
    rows: list[str] = []
    separator = "\n"
    for signatory in signatories:
        rows.append(separator + json.dumps(record(signatory), ensure_ascii=False))
        separator = ",\n"
        if len(rows) == _ROWS_PER_CHUNK:
            yield "".join(rows)
            rows.clear()
    yield "".join(rows) + "\n]}\n"
