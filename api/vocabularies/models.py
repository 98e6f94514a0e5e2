"""Controlled vocabularies as data: loaded from seed/vocabularies, enforced on every write."""

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class Vocabulary(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=40)
    label: str = Field(max_length=200)
    # French, the Lab's second language (docs/portal.md, "Languages"); `label` is English.
    label_fr: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, sa_type=sa.Text)
    source: str | None = Field(default=None, max_length=500)


class VocabularyTerm(SQLModel, table=True):
    __tablename__ = "vocabulary_term"

    vocabulary: str = Field(foreign_key="vocabulary.code", primary_key=True, max_length=40)
    code: str = Field(primary_key=True, max_length=40)
    label: str = Field(max_length=300)
    label_fr: str | None = Field(default=None, max_length=300)  # French, as the vocabulary's
    description: str | None = Field(default=None, sa_type=sa.Text)
    attributes: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)
    # Other words for the term (English and French: "grooming" for online solicitation): searched with
    # its label in the search documents of the records it classifies (docs/search.md), never shown.
    synonyms: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    position: int = Field(default=0)
