"""Conditions on long lists of ids (a signing batch's up to 1,000 results)."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Table, any_, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def among(session: Session, column, values: Sequence) -> ColumnElement[bool]:
    """`column IN values`. On PostgreSQL `column = ANY(:array)`, one parameter: psycopg splits a query
    at each placeholder in Python, which for hundreds of them cost more than running the query."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(values), ARRAY(column.type)))
    return column.in_(list(values))


def insert_each(session: Session, table: Table, column: str, values: Sequence, **same) -> None:
    """A row of `table` for each of `values` (in `column`, in their order), with the columns `same` alike in
    every row. On PostgreSQL one `INSERT ... SELECT unnest(:array)`: sent as a multi-row `INSERT ... VALUES`,
    ~1,000 rows had psycopg split a statement of ~3,000 placeholders in Python (~0.1 s)."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), [{**same, column: value} for value in values])
        return
    each = (func.unnest(literal(list(values), ARRAY(table.c[column].type)))
            .table_valued("value", with_ordinality="position").render_derived())
    rows = select(*(literal(value, table.c[name].type) for name, value in same.items()), each.c.value)
    session.execute(insert(table).from_select([*same, column], rows.order_by(each.c.position)))
