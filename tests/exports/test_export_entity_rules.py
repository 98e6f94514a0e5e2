"""What an export holds: every column of every exported table (test_export.py runs `coplab export`)."""

from api.exports.entities import ENTITIES


def test_every_column_of_every_exported_table_is_exported() -> None:
    # A column added to a table without adding it here would silently vanish from backups.
    for entity in ENTITIES:
        assert sorted(entity.columns) == sorted(entity.table.c.keys()), entity.name
