"""Controlled vocabularies: loading them from seed files and enforcing them on writes."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa
import yaml
from rapidfuzz import fuzz, process
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core.errors import ErrorCode, Problems
from api.core.validation import comparable_all, did_you_mean, repeated
from api.vocabularies.models import Vocabulary, VocabularyTerm


def read_files(directory: Path) -> list[dict]:
    """Every vocabulary file under `directory`, parsed."""
    return [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.yaml"))]


async def load(*, session: AsyncSession, documents: Sequence[dict]) -> int:
    """Insert or update vocabularies and their terms; returns how many rows changed. Flushes."""
    changed = 0
    for document in documents:
        vocabulary = await session.get(Vocabulary, document["code"])
        values = {k: document.get(k) for k in ("label", "label_fr", "description", "source")}
        if vocabulary is None:
            session.add(Vocabulary(code=document["code"], **values))
            changed += 1
        elif any(getattr(vocabulary, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(vocabulary, k, v)
            changed += 1
        for position, term_doc in enumerate(document.get("terms", [])):
            term = await session.get(VocabularyTerm, (document["code"], term_doc["code"]))
            term_values = {
                "label": term_doc["label"],
                "label_fr": term_doc.get("label_fr"),
                "description": term_doc.get("description"),
                "attributes": {k: str(v) for k, v in (term_doc.get("attributes") or {}).items()},
                "synonyms": [str(s) for s in term_doc.get("synonyms") or []],
                "position": position,
            }
            if term is None:
                session.add(VocabularyTerm(vocabulary=document["code"], code=term_doc["code"], **term_values))
                changed += 1
            elif any(getattr(term, k) != v for k, v in term_values.items()):
                for k, v in term_values.items():
                    setattr(term, k, v)
                changed += 1
        await session.flush()
    return changed


CODES_LIMIT = 50  # codes one field may name


def _wanted(codes: Sequence[str]) -> list[str]:
    # No code holds a NUL, and PostgreSQL refuses one in a parameter: such a value is simply unknown.
    return [c for c in dict.fromkeys(codes) if "\x00" not in c]


async def known_codes(*, session: AsyncSession, codes: Mapping[str, Sequence[str]]) -> dict[str, set[str]]:
    """Which of these codes are terms of their vocabulary (vocabulary → codes), every vocabulary in one
    statement; a list longer than CODES_LIMIT is not looked up (check_codes refuses it anyway)."""
    known: dict[str, set[str]] = {vocabulary: set() for vocabulary in codes}
    wanted = {v: _wanted(c) for v, c in codes.items() if len(c) <= CODES_LIMIT}
    conditions = [
        sa.and_(VocabularyTerm.vocabulary == vocabulary, col(VocabularyTerm.code).in_(listed))
        for vocabulary, listed in wanted.items()
        if listed
    ]
    if conditions:
        rows = await session.exec(select(VocabularyTerm.vocabulary, VocabularyTerm.code).where(sa.or_(*conditions)))
        for vocabulary, code in rows.all():
            known[vocabulary].add(code)
    return known


async def check_codes(
    *,
    session: AsyncSession,
    problems: Problems,
    field: Sequence[str],
    vocabulary: str,
    codes: Sequence[str],
    limit: int = CODES_LIMIT,
    known: Collection[str] | None = None,
) -> list[str]:
    """The codes, de-duplicated, each a term of `vocabulary`; unknown ones become problems. `known`,
    when given, holds those of the codes that are terms (from `known_codes`), and nothing is read."""
    if len(codes) > limit:
        problems.add(field, ErrorCode.TOO_MANY, f"At most {limit} values.")
        return []
    wanted = _wanted(codes)
    if known is None:
        known = (await known_codes(session=session, codes={vocabulary: wanted}))[vocabulary]
    unknown = [(index, code) for index, code in enumerate(codes) if code not in known]
    terms = await _terms(session, vocabulary) if unknown else {}
    for index, code in unknown:
        suggestion = likely_code(code, terms)
        message = did_you_mean(f"{repeated(code)} is not a code of {vocabulary}.", suggestion)
        problems.add([*field, str(index)], ErrorCode.INVALID_CODE, message, suggestion)
    return [c for c in wanted if c in known]


async def _terms(session: AsyncSession, vocabulary: str) -> dict[str, str]:
    """Every term of `vocabulary`: code → label."""
    rows = (
        await session.exec(
            select(VocabularyTerm.code, VocabularyTerm.label).where(VocabularyTerm.vocabulary == vocabulary)
        )
    ).all()
    return dict(rows)


# How alike (0-100, rapidfuzz's normalised Indel similarity) a typed value and a code or label must
# be for the code to be suggested: close enough for a slip of one or two characters in a code.
SIMILAR_ENOUGH = 80


def likely_code(value: str, terms: dict[str, str]) -> str | None:
    """The code meant by `value`: the same code in another case, a term's label typed instead of its
    code, or a code or label a small typo away; None when nothing is close."""
    typed = " ".join(value.split()).casefold()
    if not typed:
        return None
    for code, label in terms.items():
        if typed in (code.casefold(), " ".join(label.split()).casefold()):
            return code
    choices = {code: code.casefold() for code in terms} | {
        f"label:{code}": " ".join(label.split()).casefold() for code, label in terms.items()
    }
    best = process.extractOne(typed, choices, scorer=fuzz.ratio, score_cutoff=SIMILAR_ENOUGH)
    return None if best is None else best[2].removeprefix("label:")


async def check_code(
    *,
    session: AsyncSession,
    problems: Problems,
    field: Sequence[str],
    vocabulary: str,
    code: str | None,
    known: Collection[str] | None = None,
) -> str | None:
    """One code of `vocabulary`, or a problem (`known` as for check_codes)."""
    if code is None:
        return None
    found = await check_codes(
        session=session, problems=problems, field=field, vocabulary=vocabulary, codes=[code], known=known
    )
    if not found:
        # check_codes named the element; a single value is named by its own field.
        problems.items[-1] = replace(problems.items[-1], field=tuple(field))
        return None
    return code


async def list_vocabularies(*, session: AsyncSession, codes: Sequence[str] | None = None) -> list[Vocabulary]:
    statement = select(Vocabulary).order_by(Vocabulary.code)
    if codes:
        statement = statement.where(col(Vocabulary.code).in_(comparable_all(codes)))
    return list((await session.exec(statement)).all())


async def terms_of(*, session: AsyncSession, vocabularies: Sequence[str]) -> list[VocabularyTerm]:
    statement = (
        select(VocabularyTerm)
        .where(col(VocabularyTerm.vocabulary).in_(vocabularies))
        .order_by(VocabularyTerm.vocabulary, VocabularyTerm.position)
    )
    return list((await session.exec(statement)).all())
