"""The catalogues: every string shown to people is marked, translated, and current.

These fail when a template or Python string shown to users is not marked for
translation, when a catalogue has an untranslated or fuzzy entry, when a
translation drops or invents a placeholder or a tag, and when a catalogue is
out of date with the code (extracted here and compared).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

from signon.services.languages import DEFAULT_LANGUAGE, LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "signon" / "translations"
TRANSLATED = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]

# Words that are the same in every language: brands and format names.
NOT_WORDS = {
    "CSV",
    "JSON",
    "API",
    "Atom",
    "Telegram",
    "WhatsApp",
    "Bluesky",
    "Facebook",
    "OpenAPI",
}
_MARKUP = re.compile(
    r"<(script|style|code|pre|textarea)\b.*?</\1>|<!--.*?-->|<[^>]*>", re.DOTALL | re.IGNORECASE
)
_SHOWN_ATTRIBUTES = re.compile(
    r"""\b(alt|title|aria-label|aria-roledescription|placeholder)\s*=\s*"([^"]*)\""""
)
_WORD = re.compile(r"[A-Za-z]{2,}")
_TAG = re.compile(r"</?[a-z][^>]*>")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(code: str):
    with (CATALOGUES / code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=code)


def unmarked_words(source: str) -> list[str]:
    """English words a template shows outside ``_()`` and ``{% trans %}``."""
    tokens = list(Environment(extensions=["jinja2.ext.i18n"]).lex(source))
    text, depth = [], 0
    for index, (_line, kind, value) in enumerate(tokens):
        if kind == "block_begin":
            name = next(v for _, k, v in tokens[index + 1 :] if k != "whitespace")
            depth += {"trans": 1, "endtrans": -1}.get(name, 0)
        if kind == "data" and depth == 0:
            text.append(value)
        elif kind in ("variable_begin", "block_begin"):
            text.append("\x00")  # a value: never a word of ours
    joined = "".join(text)
    words = [
        word
        for match in _SHOWN_ATTRIBUTES.finditer(joined)
        for word in _WORD.findall(match.group(2))
    ]
    visible = re.sub(r"&#?\w+;", " ", _MARKUP.sub(" ", joined))
    words += _WORD.findall(visible)
    return [word for word in words if word not in NOT_WORDS]


@pytest.mark.parametrize(
    "template",
    sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*.*")),
)
def test_templates_show_no_unmarked_text(template):
    assert unmarked_words((ROOT / template).read_text("utf-8")) == []


def test_the_template_check_finds_what_it_should():
    assert unmarked_words("<p>Sign here</p>") == ["Sign", "here"]
    assert unmarked_words('<img alt="A logo" src="{{ x }}">') == ["logo"]
    assert unmarked_words("<p>{{ _('Sign here') }}</p>{% trans %}All of it{% endtrans %}") == []
    assert unmarked_words("<code>flask run</code> <a href='/x'>{{ name }}</a> CSV") == []


# Calls whose text argument reaches a person: flash(text), abort(code, text),
# ValidationError(text), and WTForms' label, message and choice arguments.
_SHOWN_CALLS = {"flash": 0, "abort": 1, "ValidationError": 0, "AdminActionError": 0}
_SHOWN_KEYWORDS = {"message", "invalid_choice_message", "label", "description"}


def unmarked_python(source: str) -> list[str]:
    """Literal text passed straight to a call that shows it, in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        shown = []
        if name in _SHOWN_CALLS and len(node.args) > _SHOWN_CALLS[name]:
            shown.append(node.args[_SHOWN_CALLS[name]])
        if name and name.endswith(("Field", "Required")):
            shown += node.args[:1]  # a field's label, a requirement's message
        if name == "SelectChoice":
            shown += node.args[1:2]  # (value, label)
        shown += [kw.value for kw in node.keywords if kw.arg in _SHOWN_KEYWORDS]
        for value in shown:
            parts = value.values if isinstance(value, ast.JoinedStr) else [value]
            literal = " ".join(
                part.value
                for part in parts
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
            )
            if _WORD.search(literal):
                found.append(f"line {node.lineno}: {ast.unparse(value)[:60]}")
    return found


@pytest.mark.parametrize(
    "module",
    sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "signon").rglob("*.py")
        # The command line speaks to operators, in English.
        if p.name != "cli.py"
    ),
)
def test_python_shows_no_unmarked_text(module):
    assert unmarked_python((ROOT / module).read_text("utf-8")) == []


def test_the_python_check_finds_what_it_should():
    assert unmarked_python('flash("Saved.")') == ["line 1: 'Saved.'"]
    assert unmarked_python('abort(404, f"No {x}.")') != []
    assert unmarked_python('StringField("Name")') == ["line 1: 'Name'"]
    assert unmarked_python('flash(_("Saved."))\nStringField(_l("Name"))') == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_entry_is_translated_and_none_is_fuzzy(code):
    problems = []
    for message in catalogue(code):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
    assert problems == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_the_placeholders_and_the_markup(code):
    problems = []
    for message in catalogue(code):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(_PLACEHOLDER.findall(" ".join(ids)))
        tags = sorted(_TAG.findall(ids[0]))
        for string in strings:
            # A plural form may leave the number out ("одна организация"), nothing else.
            missing = wanted - set(_PLACEHOLDER.findall(string)) - {"num", "count"}
            extra = set(_PLACEHOLDER.findall(string)) - wanted
            if missing or extra:
                problems.append(f"placeholders {missing or extra} in {message.id!r}")
            if sorted(_TAG.findall(string)) != tags:
                problems.append(f"markup differs in {message.id!r}")
    assert problems == []


def test_the_catalogues_are_current_with_the_code(tmp_path):
    """What the code marks today is exactly what every catalogue translates."""
    extracted = tmp_path / "messages.pot"
    subprocess.run(
        [
            Path(sys.executable).parent / "pybabel",
            "-q",
            "extract",
            "--ignore-dirs",
            ".*",  # not "_*" as well: templates/_macros is ours
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_ngettext:1,2",
            "-o",
            str(extracted),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with extracted.open("rb") as pot:
        wanted = {message.id for message in read_po(pot) if message.id}
    with (CATALOGUES / "messages.pot").open("rb") as pot:
        template = {message.id for message in read_po(pot) if message.id}
    assert template == wanted, "run `make messages` and translate what is new"
    for code in TRANSLATED:
        have = {message.id for message in catalogue(code) if message.id}
        assert have == wanted, f"{code}: run `make messages` and translate what is new"


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalogues_are_those_of_today(code):
    """The app reads .mo files; they must hold what the .po files say."""
    with (CATALOGUES / code / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        compiled = read_mo(mo)

    def strings(found) -> tuple[str, ...]:
        return tuple(found) if isinstance(found, list | tuple) else (found,)

    def context(found) -> str | None:
        return found.decode() if isinstance(found, bytes) else found

    # read_mo gives plural ids as lists and contexts as bytes.
    built = {(strings(m.id), context(m.context)): strings(m.string) for m in compiled if m.id}
    for message in catalogue(code):
        if message.id:
            key = (strings(message.id), message.context)
            assert built.get(key) == strings(message.string), "run `make translations`"
