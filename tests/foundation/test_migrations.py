"""The migrations build exactly the schema the models describe, on each backend: a model change
without its migration (or the reverse) fails here, not in production."""
from __future__ import annotations

import pytest

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from wallet_service.models import Base, db

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
