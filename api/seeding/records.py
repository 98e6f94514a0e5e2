"""The shape of each seed/registry file's records, as pydantic models.

Unknown fields are refused (a misspelt field would otherwise be dropped without a word). The checks that
need more than a record's own shape (codes, countries, URLs, references) are in `validate.py`.
"""

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, StringConstraints

from api.organisations.models import OrganisationStatus
from api.core.visibility import Visibility

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# A date as far as the source gives it: a year, a month, or a day (ISO 8601).
PARTIAL_DATE = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
PartialDate = Annotated[str, StringConstraints(pattern=rf"^{PARTIAL_DATE}$")]
# A period as far as the source gives it: one year, month or day (`2022`), or the first and the last of
# them, as an ISO 8601 interval of two dates of one precision (`2021/2022`, `2020-11/2022-11`).
Period = Annotated[str, StringConstraints(pattern=rf"^{PARTIAL_DATE}(?:/{PARTIAL_DATE})?$")]
DOCUMENT_NAME = re.compile(r"^[\w.-]+\.txt$")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


DocumentName = Annotated[str, StringConstraints(pattern=DOCUMENT_NAME.pattern)]


class Source(Record):
    document: DocumentName
    passage: Text | None = None
    note: Text | None = None


class SourceDocumentRecord(Record):
    """A source document the provenance cites (`document:`), as the document itself gives its title,
    publisher, date and address; what it does not give is left out and `note` says so."""

    key: DocumentName
    title: Annotated[Text, StringConstraints(max_length=500)] | None = None
    # What the document is (press release, open letter, article, web page), in words.
    kind: Annotated[Text, StringConstraints(max_length=100)] | None = None
    publisher: Annotated[Text, StringConstraints(max_length=300)] | None = None
    date: PartialDate | None = None
    url: str | None = None
    note: Text | None = None


class OrganisationRecord(Record):
    key: Key
    name: Annotated[Text, StringConstraints(max_length=300)]
    acronym: Annotated[Text, StringConstraints(max_length=40)] | None = None
    aliases: list[Annotated[Text, StringConstraints(max_length=300)]] = []
    # Damaged spellings in the documents (text extraction, typos): searchable, never shown as names.
    misspellings: list[Annotated[Text, StringConstraints(max_length=300)]] = []
    stakeholder_type: str
    # Organisations the documents show creating the Lab are members; the others are only named in the
    # sources. No document states an observer agreement with the Lab, so the seed never says OBSERVER.
    status: Literal[OrganisationStatus.MEMBER, OrganisationStatus.NAMED] = OrganisationStatus.NAMED
    country: str | None = None
    website: str | None = None
    description: Text | None = None
    provenance: Annotated[list[Source], Field(min_length=1)]


class NetworkMembershipRecord(Record):
    """One organisation's membership in another, a network or alliance, as a document states it."""

    key: Key
    member: Key
    network: Key
    role: str
    provenance: Annotated[list[Source], Field(min_length=1)]


class Participant(Record):
    organisation: Key
    role: str


class Link(Record):
    label: Annotated[Text, StringConstraints(max_length=200)]
    url: str


class InitiativeRecord(Record):
    key: Key
    title: Annotated[Text, StringConstraints(max_length=300)]
    summary: Annotated[Text, StringConstraints(max_length=2000)] | None = None
    description: Text | None = None
    lead: Key | None
    # Why no lead is recorded: required when lead is null, kept with the record's provenance.
    lead_note: Text | None = None
    part_of: Key | None = None
    participants: list[Participant] = []
    status: str
    intervention_types: list[str] = []
    harms: list[str] = []
    mnr_capabilities: list[str] = []
    target_groups: list[str] = []
    regions: list[str] = []
    countries: list[str] = []
    languages: list[str] = []
    started: PartialDate | None = None
    links: list[Link] = []
    visibility: Visibility = Visibility.PUBLIC
    provenance: Annotated[list[Source], Field(min_length=1)]


class FindingRecord(Record):
    outcome: str
    effect_direction: str
    significance: str = "NOT-TESTED"
    # None: the strongest comparison the study's design gives.
    comparison: str | None = None
    effect_size: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    risk_of_bias: str | None = None
    follow_up_months: Annotated[int, Field(ge=0)] | None = None
    # What a source or contributor claims; the rating shown is computed by the rule set.
    proposed_rating: str | None = None
    proposed_certainty: str | None = None
    note: Annotated[Text, StringConstraints(max_length=2000)] | None = None


class AssessmentRecord(Record):
    key: Key
    initiative: Key
    assessing_organisation: Key
    independence: str
    conflicts_of_interest: Text | None = None
    limitations: Text | None = None
    findings: Annotated[list[FindingRecord], Field(min_length=1)]
    # The study the assessment codes, registered under the assessment's key by the assessing organisation.
    title: Annotated[Text, StringConstraints(max_length=300)]
    study_design: str
    reference_url: str | None = None
    reference_doi: str | None = None
    published: PartialDate | None = None
    period: Annotated[Text, StringConstraints(max_length=100)] | None = None
    peer_reviewed: bool | None = None
    funder: Annotated[Text, StringConstraints(max_length=300)] | None = None
    population: Annotated[Text, StringConstraints(max_length=2000)] | None = None
    countries: list[str] = []
    sample_key: Annotated[Text, StringConstraints(max_length=200)] | None = None
    visibility: Visibility = Visibility.PUBLIC
    provenance: Annotated[list[Source], Field(min_length=1)]


class PracticeRecord(Record):
    key: Key
    title: Annotated[Text, StringConstraints(max_length=300)]
    statement: Annotated[Text, StringConstraints(max_length=4000)]
    rationale: Text | None = None
    proposed_by: Key
    # Why this organisation is recorded as the proposer, kept with the record's provenance.
    proposed_by_note: Text | None = None
    evidence_basis: str
    evidence: list[Key] = []
    endorsed_by: list[Key] = []
    harms: list[str] = []
    intervention_types: list[str] = []
    visibility: Visibility = Visibility.PUBLIC
    provenance: Annotated[list[Source], Field(min_length=1)]


class FigureRecord(Record):
    """A number that sizes or describes the problem, as a document states it. The registry records it
    itself (no organisation does), so it is public; it never carries a rating."""

    key: Key
    statement: Annotated[Text, StringConstraints(max_length=2000)]
    value: FiniteFloat | None = None
    unit: Annotated[Text, StringConstraints(max_length=100)]
    denominator: Annotated[Text, StringConstraints(max_length=300)] | None = None
    period: Period
    source_organisation: Key | None = None
    initiatives: list[Key] = []
    harms: list[str] = []
    regions: list[str] = []
    countries: list[str] = []
    visibility: Visibility = Visibility.PUBLIC
    provenance: Annotated[list[Source], Field(min_length=1)]


# File name -> the record type it holds, in loading order (each file refers only to those before it).
FILES: dict[str, type[Record]] = {
    "sources.yaml": SourceDocumentRecord,
    "organisations.yaml": OrganisationRecord,
    "networks.yaml": NetworkMembershipRecord,
    "initiatives.yaml": InitiativeRecord,
    "evidence.yaml": AssessmentRecord,
    "practices.yaml": PracticeRecord,
    "figures.yaml": FigureRecord,
}
