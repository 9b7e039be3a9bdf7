"""Conditions on long lists of ids (a signing batch's up to 1,000 results)."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def among(session: Session, column, values: Sequence) -> ColumnElement[bool]:
    """`column IN values`. On PostgreSQL `column = ANY(:array)`, one parameter: psycopg splits a query
    at each placeholder in Python, which for hundreds of them cost more than running the query."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(values), ARRAY(column.type)))
    return column.in_(list(values))
