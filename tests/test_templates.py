"""Templates compare states and kinds with their enums, never with strings."""

from __future__ import annotations

import enum
import re
from pathlib import Path

from signon import models

TEMPLATES = Path(__file__).parent.parent / "templates"


def _enum_values() -> set[str]:
    """Every value of every enum the models define."""
    enums = [
        value
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, enum.Enum)
    ]
    return {str(member.value) for kind in enums for member in kind}


def test_templates_compare_with_enums_not_strings():
    """``signature.kind == SignatoryKind.person``, not ``== "person"``: the enum is named."""
    values = _enum_values()
    assert {"person", "draft", "choice", "pending"} <= values  # the scan sees the enums
    # An attribute compared with a quoted value: ``x.state == "draft"``.
    # (Bare names, such as a link's ``purpose``, are plain strings.)
    comparison = re.compile(r"""\w\.\w+\s*(?:==|!=)\s*["']([^"']+)["']""")
    found = [
        f"{path.relative_to(TEMPLATES)}: == {value!r}"
        for path in sorted(TEMPLATES.rglob("*.*"))
        for value in comparison.findall(path.read_text(encoding="utf-8"))
        if value in values
    ]
    assert not found, "compare with the enum (a Jinja global in filters.py):\n" + "\n".join(found)
