"""Reading seed/registry and checking every record before anything is written.

Every problem names the file, the record (by key) and the field, and all of them are reported at once:
`coplab seed` loads nothing while any remains.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from api.core import validation
from api.core.dates import DatePrecision, partial_date
from api.core.errors import Problems
from api.core.visibility import Visibility
from api.seeding.records import (
    FILES,
    AssessmentRecord,
    FigureRecord,
    InitiativeRecord,
    NetworkMembershipRecord,
    OrganisationRecord,
    PracticeRecord,
    Record,
    SourceDocumentRecord,
)


@dataclass(frozen=True)
class SeedProblem:
    file: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: record {self.record!r}, field {self.field or '(record)'}: {self.message}"


class SeedInvalid(Exception):
    def __init__(self, problems: Sequence[SeedProblem]) -> None:
        super().__init__(f"{len(problems)} problems in the seed files")
        self.problems = list(problems)


@dataclass(frozen=True)
class Registry:
    # In the order of records.FILES.
    sources: list[SourceDocumentRecord]
    organisations: list[OrganisationRecord]
    networks: list[NetworkMembershipRecord]
    initiatives: list[InitiativeRecord]
    assessments: list[AssessmentRecord]
    practices: list[PracticeRecord]
    figures: list[FigureRecord]


def read_registry(directory: Path, vocabularies: Sequence[dict]) -> Registry:
    """The records of the files under `directory`, checked; raises SeedInvalid with every problem."""
    problems: list[SeedProblem] = []
    unparsed: set[str] = set()
    parsed = {
        name: _read_file(directory / name, record_type, problems, unparsed) for name, record_type in FILES.items()
    }
    registry = Registry(*parsed.values())
    vocabulary_codes = {v["code"]: {t["code"] for t in v.get("terms", [])} for v in vocabularies}
    problems.extend(_check(registry, vocabulary_codes, unparsed))
    if problems:
        raise SeedInvalid(problems)
    return registry


def _read_file(path: Path, record_type: type[Record], problems: list[SeedProblem], unparsed: set[str]) -> list[Any]:
    """The file's records that have the right shape; the others' problems go to `problems` and their keys
    to `unparsed` (so that references to them are not reported a second time)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(SeedProblem(path.name, "", "", "the file is missing"))
        return []
    except yaml.YAMLError as error:
        problems.append(SeedProblem(path.name, "", "", f"not valid YAML: {error}"))
        return []
    if not isinstance(document, list):
        problems.append(SeedProblem(path.name, "", "", "expected a list of records"))
        return []
    records, seen = [], set()
    for position, raw in enumerate(document):
        label = str(raw.get("key")) if isinstance(raw, dict) and raw.get("key") else f"#{position + 1}"
        if label in seen:
            problems.append(SeedProblem(path.name, label, "key", "the key is used by an earlier record"))
            continue
        seen.add(label)
        try:
            records.append(record_type.model_validate(raw))
        except ValidationError as error:
            unparsed.add(label)
            problems.extend(
                SeedProblem(path.name, label, ".".join(str(part) for part in issue["loc"]), issue["msg"])
                for issue in error.errors()
            )
    return records


def _check(registry: Registry, vocabularies: dict[str, set[str]], unparsed: set[str]) -> Iterator[SeedProblem]:
    organisations = {o.key for o in registry.organisations} | unparsed
    initiatives = {i.key for i in registry.initiatives} | unparsed
    assessments = {a.key for a in registry.assessments} | unparsed
    documents = {d.key for d in registry.sources} | unparsed

    file = "sources.yaml"
    for d in registry.sources:
        yield from _checked(file, d.key, "url", validation.url, d.url)
        if d.date is not None and partial_date(d.date) is None:
            yield SeedProblem(file, d.key, "date", f"{d.date!r} is not a real date")
        missing = [name for name in ("title", "publisher", "date", "url") if getattr(d, name) is None]
        if missing and d.note is None:
            yield SeedProblem(file, d.key, "note", f"say why the document gives no {', '.join(missing)}")
    for cited_in, records in (
        ("organisations.yaml", registry.organisations), ("networks.yaml", registry.networks),
        ("initiatives.yaml", registry.initiatives), ("evidence.yaml", registry.assessments),
        ("practices.yaml", registry.practices), ("figures.yaml", registry.figures),
    ):
        for record in records:
            for position, source in enumerate(record.provenance):
                if source.document not in documents:
                    yield SeedProblem(cited_in, record.key, f"provenance.{position}.document",
                                      f"{source.document!r} is not a document of sources.yaml")

    def codes(file: str, key: str, field: str, vocabulary: str, values: str | Iterable[str]) -> Iterator[SeedProblem]:
        """A single code (`field`) or a list of them (`field.N`), each checked against `vocabulary`."""
        for path, value in _items(field, values):
            if value not in vocabularies.get(vocabulary, ()):
                yield SeedProblem(file, key, path, f"{value!r} is not a code of `{vocabulary}`")

    def refs(
        file: str, key: str, field: str, known: set[str], kind: str, values: str | None | Iterable[str]
    ) -> Iterator[SeedProblem]:
        for path, value in _items(field, values):
            if value not in known:
                yield SeedProblem(file, key, path, f"no {kind} has the key {value!r}")

    file = "organisations.yaml"
    for o in registry.organisations:
        yield from codes(file, o.key, "stakeholder_type", "stakeholder-type", o.stakeholder_type)
        yield from _checked(file, o.key, "country", validation.country, o.country)
        yield from _checked(file, o.key, "website", validation.url, o.website)

    file = "networks.yaml"
    recorded: dict[tuple[str, str, str], str] = {}
    for m in registry.networks:
        yield from refs(file, m.key, "member", organisations, "organisation", m.member)
        yield from refs(file, m.key, "network", organisations, "organisation", m.network)
        yield from codes(file, m.key, "role", "network-role", m.role)
        if m.member == m.network:
            yield SeedProblem(file, m.key, "network", "an organisation cannot be a member of itself")
        first = recorded.setdefault((m.member, m.network, m.role), m.key)
        if first != m.key:
            yield SeedProblem(file, m.key, "role", f"record {first!r} states the same membership in the same role")

    file = "initiatives.yaml"
    for i in registry.initiatives:
        yield from codes(file, i.key, "status", "initiative-status", i.status)
        for field, vocabulary in (
            ("intervention_types", "intervention-type"),
            ("harms", "harm"),
            ("mnr_capabilities", "mnr-capability"),
            ("target_groups", "target-group"),
            ("regions", "region"),
        ):
            yield from codes(file, i.key, field, vocabulary, getattr(i, field))
        for position, p in enumerate(i.participants):
            yield from codes(file, i.key, f"participants.{position}.role", "participation-role", p.role)
            yield from refs(file, i.key, f"participants.{position}.organisation", organisations, "organisation",
                            p.organisation)
        for position, code in enumerate(i.countries):
            yield from _checked(file, i.key, f"countries.{position}", validation.country, code)
        for position, code in enumerate(i.languages):
            yield from _checked(file, i.key, f"languages.{position}", validation.language, code)
        for position, link in enumerate(i.links):
            yield from _checked(file, i.key, f"links.{position}.url", validation.url, link.url)
        yield from refs(file, i.key, "lead", organisations, "organisation", i.lead)
        if i.lead is None and i.lead_note is None:
            yield SeedProblem(file, i.key, "lead_note", "say why no lead is recorded when lead is null")
        if i.lead is None and i.visibility != Visibility.PUBLIC:
            # Non-public records are shared through their lead; with none, no organisation could own it.
            yield SeedProblem(file, i.key, "visibility", "an initiative with no lead must be PUBLIC")
        yield from refs(file, i.key, "part_of", initiatives - {i.key}, "other initiative", i.part_of)
        yield from _repeats(file, i.key, "participants", [(p.organisation, p.role) for p in i.participants])
        if i.started is not None and partial_date(i.started) is None:
            yield SeedProblem(file, i.key, "started", f"{i.started!r} is not a real date")
    yield from _cycles(registry.initiatives)

    file = "evidence.yaml"
    for a in registry.assessments:
        yield from refs(file, a.key, "initiative", initiatives, "initiative", a.initiative)
        yield from refs(file, a.key, "assessing_organisation", organisations, "organisation", a.assessing_organisation)
        yield from codes(file, a.key, "independence", "independence", a.independence)
        yield from codes(file, a.key, "study_design", "study-design", a.study_design)
        yield from _checked(file, a.key, "reference_url", validation.url, a.reference_url)
        for position, finding in enumerate(a.findings):
            field = f"findings.{position}"
            yield from codes(file, a.key, f"{field}.outcome", "outcome", finding.outcome)
            yield from codes(file, a.key, f"{field}.effect_direction", "effect-direction", finding.effect_direction)
            yield from codes(file, a.key, f"{field}.significance", "significance", finding.significance)
            for name, vocabulary in (("comparison", "comparison"), ("risk_of_bias", "risk-of-bias"),
                                     ("proposed_rating", "evidence-rating"), ("proposed_certainty", "certainty")):
                if getattr(finding, name) is not None:
                    yield from codes(file, a.key, f"{field}.{name}", vocabulary, getattr(finding, name))
        yield from _independence(file, a, {i.key: i for i in registry.initiatives})
        if a.published is not None and partial_date(a.published) is None:
            yield SeedProblem(file, a.key, "published", f"{a.published!r} is not a real date")

    file = "practices.yaml"
    for p in registry.practices:
        yield from refs(file, p.key, "proposed_by", organisations, "organisation", p.proposed_by)
        yield from refs(file, p.key, "evidence", assessments, "evidence assessment", p.evidence)
        yield from refs(file, p.key, "endorsed_by", organisations, "organisation", p.endorsed_by)
        yield from codes(file, p.key, "evidence_basis", "evidence-basis", p.evidence_basis)
        yield from codes(file, p.key, "harms", "harm", p.harms)
        yield from codes(file, p.key, "intervention_types", "intervention-type", p.intervention_types)
        yield from _repeats(file, p.key, "endorsed_by", p.endorsed_by)
        yield from _repeats(file, p.key, "evidence", p.evidence)

    file = "figures.yaml"
    for f in registry.figures:
        yield from refs(file, f.key, "source_organisation", organisations, "organisation", f.source_organisation)
        yield from refs(file, f.key, "initiatives", initiatives, "initiative", f.initiatives)
        yield from codes(file, f.key, "harms", "harm", f.harms)
        yield from codes(file, f.key, "regions", "region", f.regions)
        for position, code in enumerate(f.countries):
            yield from _checked(file, f.key, f"countries.{position}", validation.country, code)
        if f.visibility != Visibility.PUBLIC:
            # Non-public records are shared through the organisation that recorded them; these have none.
            yield SeedProblem(file, f.key, "visibility", "a figure of the registry is recorded by no organisation, "
                              "so it must be PUBLIC")
        for field in ("initiatives", "harms", "regions", "countries"):
            yield from _repeats(file, f.key, field, getattr(f, field))
        if period(f.period) is None:
            yield SeedProblem(
                file, f.key, "period",
                f"{f.period!r} is not a period: real dates of one precision, the last not before the first",
            )


def _items(field: str, values: str | None | Iterable[str]) -> Iterator[tuple[str, str]]:
    """(path, value) pairs: `field` for a single value, `field.N` for each item of a list."""
    if values is None:
        return
    if isinstance(values, str):
        yield field, values
        return
    for position, value in enumerate(values):
        yield f"{field}.{position}", value


def _checked(file: str, key: str, field: str, check, value: str | None) -> Iterator[SeedProblem]:  # noqa: ANN001
    """The problems one of api.core.validation's checks finds in `value` (the same checks the API applies)."""
    if value is None:
        return
    problems = Problems()
    check(problems, [field], value)
    for problem in problems.items:
        yield SeedProblem(file, key, field, f"{value!r}: {problem.message}")


def _repeats(file: str, key: str, field: str, values: Sequence[object]) -> Iterator[SeedProblem]:
    seen: set[object] = set()
    for position, value in enumerate(values):
        if value in seen:
            yield SeedProblem(file, key, f"{field}.{position}", f"{value!r} is listed twice")
        seen.add(value)


def _cycles(initiatives: Sequence[InitiativeRecord]) -> Iterator[SeedProblem]:
    parent = {i.key: i.part_of for i in initiatives if i.part_of}
    for start in parent:
        seen, key = {start}, parent[start]
        while key in parent:
            if key in seen:
                yield SeedProblem("initiatives.yaml", start, "part_of", "initiatives are part of each other in a circle")
                break
            seen.add(key)
            key = parent[key]


def _independence(file: str, a: AssessmentRecord, initiatives: dict[str, InitiativeRecord]) -> Iterator[SeedProblem]:
    """The rule the API keeps: the lead assesses its initiative as SELF, a participant never as INDEPENDENT."""
    initiative = initiatives.get(a.initiative)
    if initiative is None:
        return
    if a.assessing_organisation == initiative.lead and a.independence != "SELF":
        yield SeedProblem(file, a.key, "independence", "the lead of the initiative assesses it as SELF")
    participants = {p.organisation for p in initiative.participants}
    if a.assessing_organisation in participants and a.independence == "INDEPENDENT":
        yield SeedProblem(file, a.key, "independence", "a participant in the initiative is not INDEPENDENT of it")


def period(value: str) -> tuple[date, date, DatePrecision] | None:
    """A seed file's period (`2022`, `2021/2022`, `2020-11/2022-11`): its first and last dates as stored
    (the first day of a year or month) and their precision; None unless both are real dates of one
    precision and the last is not before the first."""
    first, _, last = value.partition("/")
    start, end = partial_date(first), partial_date(last or first)
    if start is None or end is None or start[1] is not end[1] or end[0] < start[0]:
        return None
    return start[0], end[0], start[1]
