"""Column types shared by the models."""

from __future__ import annotations

import enum

import sqlalchemy as sa


def enum_column(enum_cls: type[enum.Enum], name: str, length: int = 20) -> sa.Enum:
    """A portable enum: VARCHAR plus a named CHECK constraint on every database.

    Native PostgreSQL enums need their own migrations to gain a value; a check
    constraint is the same invariant on SQLite and PostgreSQL alike.
    """
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
