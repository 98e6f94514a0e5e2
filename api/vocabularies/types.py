"""GraphQL types for controlled vocabularies and ISO code lists."""

from collections.abc import Sequence
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from api.core.validation import country_label, language_label
from api.graphql.records import from_row
from api.vocabularies.models import Vocabulary as VocabularyRow
from api.vocabularies.cache import CachedTerm, TermCache
from api.vocabularies.models import VocabularyTerm


@strawberry.enum(description="A language the vocabularies are labelled in.")
class LabelLanguage(Enum):
    EN = "en"
    FR = "fr"


LABEL_DESCRIPTION = "Human-readable label, in English unless `language` asks for French."


def label_in(language: "LabelLanguage", english: str, french: str | None) -> str:
    """The label in `language`; the English one where a French label is missing (a retired code)."""
    return (french or english) if language is LabelLanguage.FR else english


@strawberry.type(description="A term of a controlled vocabulary: a stable code and its label.")
class Term:
    vocabulary: str = strawberry.field(description="The vocabulary's code, e.g. `harm`.")
    code: str = strawberry.field(description="The stable code, e.g. `CSAM-KNOWN`.")
    description: str | None = strawberry.field(description="What the term covers (English).")
    attributes: JSON = strawberry.field(description="Cross-references such as IATI or MNR codes.")
    english: strawberry.Private[str]
    french: strawberry.Private[str | None]

    @strawberry.field(description=LABEL_DESCRIPTION)
    def label(self, language: LabelLanguage = LabelLanguage.EN) -> str:
        return label_in(language, self.english, self.french)

    @classmethod
    def from_model(cls, row: VocabularyTerm | CachedTerm) -> "Term":
        return from_row(cls, row, attributes=dict(row.attributes or {}), english=row.label, french=row.label_fr)


@strawberry.type(description="A controlled vocabulary and its terms.")
class Vocabulary:
    code: str = strawberry.field(description="The vocabulary's code, e.g. `intervention-type`.")
    description: str | None = strawberry.field(description="What the vocabulary classifies (English).")
    source: str | None = strawberry.field(description="Where the codes come from.")
    terms: list[Term] = strawberry.field(description="The terms, in their defined order.")
    english: strawberry.Private[str]
    french: strawberry.Private[str | None]

    @strawberry.field(description="Human-readable name, in English unless `language` asks for French.")
    def label(self, language: LabelLanguage = LabelLanguage.EN) -> str:
        return label_in(language, self.english, self.french)

    @classmethod
    def from_model(cls, row: VocabularyRow, terms: Sequence[VocabularyTerm]) -> "Vocabulary":
        return from_row(cls, row, terms=[Term.from_model(t) for t in terms], english=row.label, french=row.label_fr)


@strawberry.type(description="A country by its ISO 3166-1 alpha-2 code.")
class Country:
    code: str = strawberry.field(description="ISO 3166-1 alpha-2 code.")

    @strawberry.field(description="English short name.")
    def name(self) -> str:
        return country_label(self.code)


@strawberry.type(description="A language by its ISO 639 code.")
class Language:
    code: str = strawberry.field(description="ISO 639-1 (or 639-3) code.")

    @strawberry.field(description="English name.")
    def name(self) -> str:
        return language_label(self.code)


def terms(cache: TermCache, vocabulary: str, codes: Sequence[str]) -> list[Term]:
    """Terms for stored codes, from the process-wide cache (no query, no task per field)."""
    return [term(cache, vocabulary, code) for code in codes]


def term(cache: TermCache, vocabulary: str, code: str) -> Term:
    """The term for a stored code. Records take theirs when they are built (`from_model`), so that
    the field is a plain attribute for strawberry rather than a resolver call per record."""
    found = cache.view(vocabulary, code, Term.from_model)
    if found is None:  # a code retired from the vocabulary after it was stored
        return Term(vocabulary=vocabulary, code=code, english=code, french=None, description=None, attributes={})
    return found
