"""`figures.service` refuses what GraphQL's own types keep from reaching it (test_input_errors.py sends the
same through the API): a value that is not finite, and a figure without a unit or a period. Each refusal
names its field and code, and nothing is written."""

import asyncio
import math
from datetime import date

import pytest
from sqlmodel import Session, select

from api.auth.principal import Principal, PrincipalKind, Role
from api.auth.scopes import ALL_SCOPES
from api.core.db import create_engine, session_factory, transaction
from api.core.errors import DomainError
from api.figures import service
from api.figures.models import Figure
from tests.figures.operations import NOTHING, stored_counts


def _principal(organisation_id: int) -> Principal:
    return Principal(
        kind=PrincipalKind.CLIENT,
        subject="client:rules",
        organisation_id=organisation_id,
        organisation_is_member=True,
        role=Role.ADMIN,
        scopes=ALL_SCOPES,
    )


def _create(database_url: str, organisation_id: int, data: service.FigureData) -> list[tuple[tuple[str, ...], str]]:
    """The problems `create` raises, as (field, code) pairs; its transaction is rolled back."""

    async def run() -> list[tuple[tuple[str, ...], str]]:
        engine = create_engine(database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                await service.create(session=session, principal=_principal(organisation_id), data=data)
        except DomainError as error:
            return [(problem.field, problem.code.value) for problem in error.problems]
        finally:
            await engine.dispose()
        return []

    return asyncio.run(run())


def _data(**overrides: object) -> service.FigureData:
    values = {
        "statement": "88.3 million images and videos were reported.",
        "value": 88_300_000.0,
        "unit": "images and videos",
        "period_start": date(2022, 1, 1),
        "period_end": date(2022, 1, 1),
        "period_precision": service.DatePrecision.YEAR,
        **overrides,
    }
    return service.FigureData(**values)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "infinity", "minus-infinity"])
def test_a_value_that_is_not_finite_is_invalid(database_url, make, db, value: float) -> None:
    iwf = make.organisation("iwf")
    assert _create(database_url, iwf.id, _data(value=value)) == [(("value",), "INVALID_VALUE")]
    assert stored_counts(db) == NOTHING


def test_a_figure_without_a_unit_or_a_period_is_refused_with_each_field(database_url, make, db) -> None:
    iwf = make.organisation("iwf")
    data = service.FigureData(statement="Reports rose sharply.", value=82.0)  # unit and period left out
    assert _create(database_url, iwf.id, data) == [
        (("unit",), "REQUIRED"),
        (("periodStart",), "REQUIRED"),
        (("periodEnd",), "REQUIRED"),
    ]
    assert stored_counts(db) == NOTHING


def test_a_left_out_precision_is_a_day_and_the_figure_is_written(database_url, make, db) -> None:
    iwf = make.organisation("iwf")
    data = service.FigureData(
        statement="1,200 reports in January 2023.", unit="reports", period_start=date(2023, 1, 1), period_end=date(2023, 1, 31)
    )
    assert _create(database_url, iwf.id, data) == []
    with Session(db.get_bind()) as fresh:
        assert fresh.exec(select(Figure.period_precision, Figure.value)).all() == [("DAY", None)]
