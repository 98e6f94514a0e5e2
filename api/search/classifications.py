"""The words of the codes a search document holds: each code's label and synonyms (vocabularies, as
data in seed/vocabularies) and each country's names, so that "grooming", "CSAM", "takedown" or
"France" find the initiatives classified under them whatever words their own text uses.

Vocabularies are public, so these words reveal nothing: they say only how an initiative is
classified, which every reader of it sees. They go into one searched field, `classifications`,
ranked just after the title, one item per code; a hit shows only the items a query word matched
(`service.matched_items`), so a search for "luring" marks "child luring" beside "Online solicitation
of children for sexual purposes", not the whole list.
"""

from collections.abc import Iterable, Mapping, Sequence

import pycountry
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.vocabularies.models import VocabularyTerm

# Classification scheme (InitiativeClassification.scheme) → vocabulary whose terms name its codes;
# the initiative's status is named by `initiative-status`.
VOCABULARY_SCHEMES = ("harm", "intervention-type", "mnr-capability", "target-group", "region")
STATUS_VOCABULARY = "initiative-status"

Words = Mapping[tuple[str, str], list[str]]  # (vocabulary, code) → label and synonyms


async def vocabulary_words(*, session: AsyncSession) -> dict[tuple[str, str], list[str]]:
    """Every classifying term's label and synonyms (a few hundred rows, read once per batch)."""
    rows = (
        await session.exec(
            select(VocabularyTerm).where(col(VocabularyTerm.vocabulary).in_([*VOCABULARY_SCHEMES, STATUS_VOCABULARY]))
        )
    ).all()
    return {(row.vocabulary, row.code): [row.label, *(row.synonyms or [])] for row in rows}


def country_names(code: str) -> list[str]:
    """A country's short, official and common names (ISO 3166-1). Not its code: "DE" or "AT" would
    make every French "de" or English "at" a country."""
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        return []
    names = [getattr(found, a, None) for a in ("name", "official_name", "common_name")]
    return [n for n in dict.fromkeys(names) if n]


def term_text(words: Sequence[str]) -> str:
    """One code as one item of `classifications`: its label, then its synonyms ("Sexual extortion of
    children: sextortion, sexual extortion"), so that a highlight of the item shows the matched
    synonym beside the label it stands for. Synonyms equal to the label (ignoring case) are left out."""
    label, *synonyms = words
    others = [w for w in dict.fromkeys(synonyms) if w.casefold() != label.casefold()]
    return f"{label}: {', '.join(others)}" if others else label


def words_of(
    words: Words, *, status: str | None, codes: Mapping[str, Iterable[str]], countries: Sequence[str]
) -> list[str]:
    """The searched words of one initiative's codes (`codes`: scheme → codes): one item per code
    (`term_text`) and per country (its names), each item once."""
    found: list[list[str]] = []
    if status and (status_words := words.get((STATUS_VOCABULARY, status))):
        found.append(status_words)
    for scheme in VOCABULARY_SCHEMES:
        for code in sorted(codes.get(scheme, ())):
            found.append(words.get((scheme, code), [code]))
    for country in sorted(countries):
        if names := country_names(country):
            found.append(names)
    return list(dict.fromkeys(term_text(item) for item in found))
