"""Migration 0020 on a registry holding inquiries from before they were reviewed: an answered inquiry stays
published with its answer, a decided appeal becomes the inquiry's appeal and ruling, an open inquiry and an
undecided appeal become SUBMITTED revisions awaiting two reviewers (the open inquiry's activity moving with
it), and the retired webhook event types leave every endpoint. Downgrading restores the tables. On SQLite
and PostgreSQL."""

import json

import sqlalchemy as sa
from alembic import command

from api import migrations
from api.core.db import create_sync_engine
from tests.organisations.test_membership_migration import _rows, empty_url  # noqa: F401  (the fixture)

NOW = "CURRENT_TIMESTAMP"
AUDIT = f"{NOW}, {NOW}, 'person', 'person'"


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def _legacy(connection: sa.Connection) -> None:
    run = lambda statement: connection.execute(sa.text(statement))  # noqa: E731
    for slug in ("partner", "reviewer-a", "reviewer-b"):
        run(
            "INSERT INTO organisation (slug, name, aliases, misspellings, stakeholder_type, status, is_secretariat, "
            f"provenance, created_at, updated_at, created_by, updated_by) VALUES ('{slug}', '{slug}', '[]', '[]', 'NGO', "
            f"'MEMBER', false, '[]', {AUDIT})"
        )
    run(
        "INSERT INTO initiative (id, title, status, visibility, links, provenance, created_at, updated_at, created_by, "
        f"updated_by) VALUES (1, 'Hotline', 'IMPLEMENTATION', 'PUBLIC', '[]', '[]', {AUDIT})"
    )
    run(
        "INSERT INTO outcome_rating (id, initiative_id, outcome, rating, certainty, extent, sustained, independently_replicated, "
        "self_evaluated_only, withdrawn, ruleset_version, rule_id, contributions, trace, computed_at) VALUES "
        f"(1, 1, 'REMOVAL-TIME', 'PROMISING', 'LOW', 'SINGLE', false, false, false, false, '1', 'r', '[]', '[]', {NOW})"
    )
    for row_id, status in ((1, "OPEN"), (2, "ANSWERED"), (3, "ESCALATED"), (4, "DECIDED")):
        answered = "NULL" if status == "OPEN" else "'2026-11-01 10:00:00+00:00'"
        answer = "NULL" if status == "OPEN" else f"'Answer {row_id}'"
        run(
            "INSERT INTO rating_inquiry (id, rating_id, organisation_id, grounds, text, status, answer, answered_at, "
            f"created_at, updated_at, created_by, updated_by) VALUES ({row_id}, 1, 1, 'MISSING-STUDY', 'Question {row_id}', "
            f"'{status}', {answer}, {answered}, {AUDIT})"
        )
    run(
        "INSERT INTO rating_appeal (id, inquiry_id, text, status, created_at, updated_at, created_by, updated_by) "
        f"VALUES (1, 3, 'Appeal 3', 'UNDER_REVIEW', {AUDIT})"
    )
    run(
        "INSERT INTO rating_appeal (id, inquiry_id, text, status, outcome, decided_at, created_at, updated_at, created_by, "
        f"updated_by) VALUES (2, 4, 'Appeal 4', 'DECIDED', 'UPHELD', '2026-11-02 10:00:00+00:00', {AUDIT})"
    )
    run(
        "INSERT INTO rating_appeal_reviewer (appeal_id, organisation_id, position, decision, reasons) VALUES "
        "(2, 3, 2, 'UPHELD', 'Second.'), (2, 2, 1, 'UPHELD', 'First.')"
    )
    run(
        "INSERT INTO activity (occurred_at, kind, subject_type, subject_id, actor, detail) VALUES "
        f"({NOW}, 'INQUIRY_FILED', 'RatingInquiry', 1, 'person', '{{}}'), ({NOW}, 'INQUIRY_ANSWERED', 'RatingInquiry', 2, 'person', '{{}}')"
    )
    run(
        "INSERT INTO webhook_endpoint (organisation_id, url, event_types, enabled, created_at, updated_at, created_by, "
        f"updated_by) VALUES (1, 'https://hooks.example/', '[\"record.published\", \"inquiry.answered\"]', true, {AUDIT})"
    )


def test_inquiries_from_before_review_are_carried_over(empty_url: str) -> None:  # noqa: F811
    migrations.upgrade(empty_url, "0019")
    engine = create_sync_engine(empty_url)
    try:
        with engine.begin() as connection:
            _legacy(connection)

        migrations.upgrade(empty_url, "0020")

        published = _rows(engine, "SELECT id, text, appeal, ruling, reasons, answer, decided_at FROM rating_inquiry ORDER BY id")
        assert [(r[0], r[1], r[2], r[3], _json(r[4]), r[5]) for r in published] == [
            (2, "Question 2", None, None, [], "Answer 2"),
            (3, "Question 3", None, None, [], "Answer 3"),
            (4, "Question 4", "Appeal 4", "UPHELD", ["First.", "Second."], "Answer 4"),
        ]
        assert all(r[6] is not None for r in published)
        revisions = _rows(engine, "SELECT id, record_type, record_id, state, round, organisation_id, content FROM revision ORDER BY id")
        assert [(r[1], r[2], r[3], r[4], r[5]) for r in revisions] == [
            ("RatingInquiry", None, "SUBMITTED", 1, 1),
            ("RatingInquiry", 3, "SUBMITTED", 1, 1),
        ]
        contents = [_json(r[6])["data"] for r in revisions]
        assert [(c["rating_id"], c["text"], c["appeal"]) for c in contents] == [(1, "Question 1", None), (1, "Question 3", "Appeal 3")]
        assert _rows(engine, "SELECT kind, subject_type, subject_id FROM activity ORDER BY id") == [
            ("INQUIRY_FILED", "Revision", revisions[0][0]),
            ("INQUIRY_ANSWERED", "RatingInquiry", 2),
        ]
        assert [_json(r[0]) for r in _rows(engine, "SELECT event_types FROM webhook_endpoint")] == [["record.published"]]
        assert not sa.inspect(engine).has_table("rating_appeal")
        migrations.upgrade(empty_url, "head")
        migrations.check(empty_url)

        command.downgrade(migrations.alembic_config(empty_url), "0019")
        assert sa.inspect(engine).has_table("rating_appeal_reviewer")
        assert _rows(engine, "SELECT id, status FROM rating_inquiry ORDER BY id") == [(2, "ANSWERED"), (3, "ANSWERED"), (4, "ANSWERED")]
    finally:
        engine.dispose()
