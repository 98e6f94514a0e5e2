"""The controlled vocabularies, loaded from the seed files once per test database."""

from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlmodel import Session

from api.vocabularies.models import Vocabulary, VocabularyTerm


def load_vocabularies(engine: sa.Engine, directory: Path) -> None:
    with Session(engine) as session:
        for path in sorted(directory.glob("*.yaml")):
            document = yaml.safe_load(path.read_text())
            session.add(Vocabulary(
                code=document["code"], label=document["label"], label_fr=document.get("label_fr"), source=document.get("source"),
            ))
            for position, term in enumerate(document["terms"]):
                session.add(
                    VocabularyTerm(
                        vocabulary=document["code"],
                        code=term["code"],
                        label=term["label"],
                        label_fr=term.get("label_fr"),
                        attributes=term.get("attributes") or {},
                        synonyms=term.get("synonyms") or [],
                        position=position,
                    )
                )
        session.commit()
