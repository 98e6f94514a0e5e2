"""Migration 0013 on a registry with assessments: each becomes a study (with the assessment's id) coded by
the assessment; PEER-REVIEWED becomes an independent assessor of a peer-reviewed study; findings get the
comparison their design gives and keep what they were rated as a proposed rating; seeded assessments'
records are split as the seed files now state them. Downgrading gives the old shape back. On SQLite and
PostgreSQL."""

import json

import sqlalchemy as sa
from alembic import command

from api import migrations
from api.core.db import create_sync_engine
from tests.organisations.test_membership_migration import _rows, empty_url  # noqa: F401  (the fixture)

NOW = "CURRENT_TIMESTAMP"
AUDIT = f"{NOW}, {NOW}, 't', 't'"


def _arrange(connection: sa.Connection) -> None:
    connection.execute(sa.text(
        "INSERT INTO organisation (id, slug, name, aliases, misspellings, stakeholder_type, status, is_secretariat, "
        f"provenance, created_at, updated_at, created_by, updated_by) VALUES (1, 'ucl', 'UCL', '[]', '[]', 'ACAD', "
        f"'MEMBER', false, '[]', {AUDIT})"
    ))
    connection.execute(sa.text(
        "INSERT INTO initiative (id, title, lead_organisation_id, status, visibility, links, provenance, created_at, "
        f"updated_at, created_by, updated_by) VALUES (1, 'Hotline', 1, 'IMPLEMENTATION', 'PUBLIC', '[]', '[]', {AUDIT})"
    ))
    for assessment_id, title, independence, design, visibility in (
        (5, "Removal times", "PEER-REVIEWED", "ITS", "PUBLIC"),
        (6, "Internal monitoring", "SELF", "CASE", "ORGANISATION"),
    ):
        connection.execute(sa.text(
            "INSERT INTO evidence_assessment (id, initiative_id, assessing_organisation_id, title, independence, "
            "study_design, reference_url, period, visibility, provenance, created_at, updated_at, created_by, "
            f"updated_by) VALUES ({assessment_id}, 1, 1, '{title}', '{independence}', '{design}', "
            f"'https://example.org/{assessment_id}', '2021', '{visibility}', '[]', {AUDIT})"
        ))
        connection.execute(sa.text(
            "INSERT INTO finding (assessment_id, outcome, effect_direction, rating, certainty, created_at, updated_at, "
            f"created_by, updated_by) VALUES ({assessment_id}, 'REMOVAL-TIME', 'POSITIVE', 'EMERGING', 'LOW', {AUDIT})"
        ))
    content = {
        "initiative": "hotline", "assessing_organisation": "ucl", "title": "Removal times",
        "independence": "PEER-REVIEWED", "study_design": "ITS", "reference_url": "https://example.org/5",
        "period": "2021", "limitations": None, "conflicts_of_interest": None, "visibility": "PUBLIC",
        "provenance": [], "findings": [["REMOVAL-TIME", "POSITIVE", "EMERGING", "LOW", "Faster."]],
    }
    connection.execute(
        sa.text(f"INSERT INTO seed_record (kind, key, record_id, content, loaded_at) VALUES "
                f"('assessment', 'removal-times', 5, :content, {NOW})"),
        {"content": json.dumps(content)},
    )


def test_assessments_become_studies_and_findings_keep_their_ratings_as_proposals(empty_url: str) -> None:  # noqa: F811
    migrations.upgrade(empty_url, "0012")
    engine = create_sync_engine(empty_url)
    try:
        with engine.begin() as connection:
            _arrange(connection)

        migrations.upgrade(empty_url, "0013")

        assert _rows(engine, "SELECT id, organisation_id, title, study_design, period, peer_reviewed, visibility "
                             "FROM study ORDER BY id") == [
            (5, 1, "Removal times", "ITS", "2021", True, "PUBLIC"),
            (6, 1, "Internal monitoring", "CASE", "2021", None, "ORGANISATION"),
        ]
        assert _rows(engine, "SELECT id, study_id, independence FROM evidence_assessment ORDER BY id") == [
            (5, 5, "INDEPENDENT"), (6, 6, "SELF"),
        ]
        assert _rows(engine, "SELECT assessment_id, comparison, significance, proposed_rating, proposed_certainty "
                             "FROM finding ORDER BY assessment_id") == [
            (5, "UNMATCHED", "NOT-TESTED", "EMERGING", "LOW"), (6, "NONE", "NOT-TESTED", "EMERGING", "LOW"),
        ]
        records = {(kind, key): (record_id, json.loads(c) if isinstance(c, str) else c)
                   for kind, key, record_id, c in _rows(engine, "SELECT kind, key, record_id, content FROM seed_record")}
        study_id, study = records[("study", "removal-times")]
        assert study_id == 5 and (study["title"], study["peer_reviewed"], study["organisation"]) == (
            "Removal times", True, "ucl")
        _, assessment = records[("assessment", "removal-times")]
        assert assessment["study"] == "removal-times" and assessment["independence"] == "INDEPENDENT"
        assert assessment["findings"] == [
            ["REMOVAL-TIME", "POSITIVE", "NOT-TESTED", None, None, None, None, None, None, "EMERGING", "LOW", "Faster."]
        ]
        # A new study takes the next id, on PostgreSQL as on SQLite.
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO study (organisation_id, title, study_design, countries, visibility, provenance, "
                f"created_at, updated_at, created_by, updated_by) VALUES (1, 'New', 'RCT', '[]', 'PUBLIC', '[]', {AUDIT})"
            ))
        assert _rows(engine, "SELECT max(id) FROM study") == [(7,)]
        migrations.upgrade(empty_url, "head")  # and the migrations after it leave the models and the schema agreeing
        migrations.check(empty_url)

        command.downgrade(migrations.alembic_config(empty_url), "0012")
        assert _rows(engine, "SELECT id, title, study_design, independence FROM evidence_assessment ORDER BY id") == [
            (5, "Removal times", "ITS", "INDEPENDENT"), (6, "Internal monitoring", "CASE", "SELF"),
        ]
        assert _rows(engine, "SELECT rating, certainty FROM finding ORDER BY assessment_id") == [
            ("EMERGING", "LOW"), ("EMERGING", "LOW"),
        ]
        _, restored = next(
            (r, json.loads(c) if isinstance(c, str) else c)
            for r, c in _rows(engine, "SELECT record_id, content FROM seed_record WHERE kind = 'assessment'")
        )
        assert restored["title"] == "Removal times"
        assert restored["findings"] == [["REMOVAL-TIME", "POSITIVE", "EMERGING", "LOW", "Faster."]]
        assert not sa.inspect(engine).has_table("study")
    finally:
        engine.dispose()
