"""Statement files: signon's own settings lines, and the front matter of WordPress and Hugo."""

from __future__ import annotations

import datetime as dt

import pytest

from signon.models import StatementState, WhoMaySign
from signon.services.statements import (
    StatementImportError,
    ignored_settings,
    parse_statement_file,
    slug_from,
)

HUGO = """---
title: "Solidarity: Now"
date: 2026-11-24T10:00:00+02:00
draft: true
summary: One sentence for the cards.
author: ["Harbour Workers' Federation", "Someone Else"]
tags: [solidarity, dockers]
categories:
  - statements
---
The text.[^1]

[^1]: A source.
"""

WORDPRESS = """---
title: 'Statement on the Strike'
description: "Why we stand with them."
author:
  name: Our Federation
  email: office@example.org
date: '2026-11-20'
layout: post
state: open
needs_verification: false
signing_deadline: 2026-12-31 23:59:00
---
Text.
"""


def test_signon_own_lines_stay_text_as_written():
    settings = parse_statement_file(
        "---\nslug: s\ntitle: No\npublisher: Solidarity: Now\npublished_on: 2017-04-13\n---\nx\n"
    )
    assert settings["title"] == "No"  # YAML would have read false
    assert settings["publisher"] == "Solidarity: Now"  # YAML would have refused it
    assert settings["published_on"] == dt.date(2017, 4, 13)


def test_a_hugo_export_comes_over_without_editing():
    settings = parse_statement_file(HUGO, default_slug=slug_from("Solidarity Now (2026)"))
    assert settings["slug"] == "solidarity-now-2026"
    assert settings["title"] == "Solidarity: Now"
    assert settings["publisher"] == "Harbour Workers' Federation"
    assert settings["standfirst"] == "One sentence for the cards."
    assert settings["published_on"] == dt.date(2026, 11, 24)
    assert settings["state"] is StatementState.draft
    assert settings["body"].startswith("The text.[^1]")
    assert ignored_settings(HUGO) == ["categories", "tags"]


def test_a_wordpress_export_comes_over_with_its_settings():
    settings = parse_statement_file(WORDPRESS, default_slug="strike")
    assert settings["publisher"] == "Our Federation"
    assert settings["standfirst"] == "Why we stand with them."
    assert settings["published_on"] == dt.date(2026, 11, 20)
    assert settings["state"] is StatementState.open
    assert settings["needs_verification"] is False
    assert settings["signing_deadline"] == dt.datetime(2026, 12, 31, 23, 59)
    assert settings["who_may_sign"] is WhoMaySign.organisations  # unless the file says
    assert ignored_settings(WORDPRESS) == ["layout"]


def test_a_file_says_who_may_sign():
    text = "---\nslug: s\ntitle: T\npublisher: P\nwho_may_sign: both\n---\nx\n"
    assert parse_statement_file(text)["who_may_sign"] is WhoMaySign.both


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("---\ntitle: No\npublisher: P\nslug: s\ntags: [a]\n---\nx", "put the text in quotes"),
        ("---\ntitle: [a, b]\npublisher: P\nslug: s\ntags: x\n---\nx", "must be text"),
        ("---\ntitle: T\nslug: s\ntags: x\n---\nx", "'publisher' is required"),
        ("---\ntitle: T\npublisher: P\nslug: Not A Slug\ntags: x\n---\nx", "slug may hold"),
        ("---\ntitle: T\npublisher: P\nslug: s\ndate: someday\n---\nx", "Invalid isoformat"),
        ("---\nnot: [valid\n---\nx", "not valid YAML"),
        ("---\nslug: s\ntitel: T\npublisher: P\n---\nx", "unknown setting 'titel'"),
        ("no block at all", "must start with"),
        ("---\nslug: s\ntitle: T\npublisher: P\nwho_may_sign: all\n---\nx", "who_may_sign must"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(text, problem):
    with pytest.raises(StatementImportError, match=problem):
        parse_statement_file(text)


def test_the_import_command_takes_an_export_and_says_what_it_ignored(runner, app, tmp_path):
    path = tmp_path / "Solidarity Now.md"
    path.write_text(HUGO, "utf-8")
    result = runner.invoke(args=["statements", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Created statement /s/solidarity-now." in result.output
    assert "Ignored front matter signon does not use: categories, tags." in result.output


def test_a_quoted_title_loses_its_quotes_and_a_hash_stays_text():
    quoted = parse_statement_file('---\nslug: s\ntitle: "Solidarity: Now"\npublisher: P\n---\nx')
    assert quoted["title"] == "Solidarity: Now"
    hashed = parse_statement_file("---\nslug: s\ntitle: Stop the war #NoWar\npublisher: P\n---\nx")
    assert hashed["title"] == "Stop the war #NoWar"


def test_a_complete_file_in_another_language_is_a_new_original(runner, app, tmp_path):
    path = tmp_path / "ru.md"
    path.write_text(
        "---\nslug: po-russki\ntitle: Заявление\npublisher: Союз\n---\nТекст.\n", "utf-8"
    )
    result = runner.invoke(args=["statements", "import", "--language", "ru", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from signon.services.statements import statement_view

        assert statement_view("po-russki") is None  # a draft until opened
        from signon.extensions import db
        from signon.models import Statement

        assert db.session.scalar(db.select(Statement.language)) == "ru"
