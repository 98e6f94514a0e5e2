"""Controlled vocabularies: loading them from seed files and enforcing them on writes."""

from collections.abc import Sequence
from pathlib import Path

import yaml
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ErrorCode, Problems
from api.vocabularies.models import Vocabulary, VocabularyTerm


def read_files(directory: Path) -> list[dict]:
    """Every vocabulary file under `directory`, parsed."""
    return [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.yaml"))]


async def load(*, session: AsyncSession, documents: Sequence[dict]) -> int:
    """Insert or update vocabularies and their terms; returns how many rows changed. Flushes."""
    changed = 0
    for document in documents:
        vocabulary = await session.get(Vocabulary, document["code"])
        values = {k: document.get(k) for k in ("label", "description", "source")}
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
                "description": term_doc.get("description"),
                "attributes": {k: str(v) for k, v in (term_doc.get("attributes") or {}).items()},
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


async def check_codes(
    *,
    session: AsyncSession,
    problems: Problems,
    field: Sequence[str],
    vocabulary: str,
    codes: Sequence[str],
    limit: int = 50,
) -> list[str]:
    """The codes, de-duplicated, each a term of `vocabulary`; unknown ones become problems."""
    if len(codes) > limit:
        problems.add(field, ErrorCode.TOO_MANY, f"At most {limit} values.")
        return []
    # No code holds a NUL, and PostgreSQL refuses one in a parameter: such a value is simply unknown.
    wanted = [c for c in dict.fromkeys(codes) if "\x00" not in c]
    known = set() if not wanted else set(
        (
            await session.exec(
                select(VocabularyTerm.code).where(
                    VocabularyTerm.vocabulary == vocabulary, col(VocabularyTerm.code).in_(wanted)
                )
            )
        ).all()
    )
    for index, code in enumerate(codes):
        if code not in known:
            problems.add([*field, str(index)], ErrorCode.INVALID_CODE, f"{code!r} is not a code of {vocabulary}.")
    return [c for c in wanted if c in known]


async def check_code(
    *, session: AsyncSession, problems: Problems, field: Sequence[str], vocabulary: str, code: str | None
) -> str | None:
    """One code of `vocabulary`, or a problem."""
    if code is None:
        return None
    found = await check_codes(session=session, problems=problems, field=field, vocabulary=vocabulary, codes=[code])
    if not found:
        # check_codes named the element; a single value is named by its own field.
        problems.items[-1] = type(problems.items[-1])(tuple(field), ErrorCode.INVALID_CODE, problems.items[-1].message)
        return None
    return code


async def list_vocabularies(*, session: AsyncSession, codes: Sequence[str] | None = None) -> list[Vocabulary]:
    statement = select(Vocabulary).order_by(Vocabulary.code)
    if codes:
        statement = statement.where(col(Vocabulary.code).in_(codes))
    return list((await session.exec(statement)).all())


async def terms_of(*, session: AsyncSession, vocabularies: Sequence[str]) -> list[VocabularyTerm]:
    statement = (
        select(VocabularyTerm)
        .where(col(VocabularyTerm.vocabulary).in_(vocabularies))
        .order_by(VocabularyTerm.vocabulary, VocabularyTerm.position)
    )
    return list((await session.exec(statement)).all())
