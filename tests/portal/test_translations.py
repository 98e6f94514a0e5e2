"""The portal's French catalogue (docs/portal.md, "Languages"): current with the templates and the
portal's Python, every message translated, placeholders kept; the language a request asks for and the
addresses the language switch may go back to."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from api.portal import languages
from api.portal.languages import TRANSLATIONS_DIR, from_accept_language, same_site_path

PORTAL_DIR = TRANSLATIONS_DIR.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalogue(path: Path):  # noqa: ANN202
    with path.open("rb") as file:
        return read_po(file)


def _ids(catalogue) -> set[str]:  # noqa: ANN001
    return {message.id if isinstance(message.id, str) else message.id[0] for message in catalogue if message.id}


def test_the_template_is_current_with_the_templates_and_the_portal_code() -> None:
    """Extracted again as babel.cfg says: a string wrapped later and not extracted (so not translated) fails."""
    with (TRANSLATIONS_DIR / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    extracted = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            PORTAL_DIR, method_map, options_map, keywords=DEFAULT_KEYWORDS
        )
    }
    assert len(extracted) > 100  # the extraction read the templates, not nothing
    assert "Search initiatives" in extracted and "Relevance" in extracted  # a template's string and an N_ one
    assert extracted == _ids(_catalogue(TRANSLATIONS_DIR / "messages.pot"))


def test_every_message_has_its_french_translation_with_the_same_placeholders() -> None:
    template = _catalogue(TRANSLATIONS_DIR / "messages.pot")
    french = _catalogue(TRANSLATIONS_DIR / "fr" / "LC_MESSAGES" / "messages.po")
    assert _ids(french) == _ids(template)
    untranslated, broken = [], []
    for message in french:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.fuzzy or not all(s.strip() for s in strings):
            untranslated.append(ids[0])
        elif any(set(PLACEHOLDER.findall(s)) != set(PLACEHOLDER.findall(ids[-1])) for s in strings):
            broken.append(ids[0])
    assert untranslated == []
    assert broken == []


def test_the_compiled_catalogue_translates() -> None:
    french = languages.TRANSLATIONS[languages.FRENCH]
    assert french.gettext("Search initiatives") == "Rechercher des initiatives"
    assert french.ngettext("%(count)s initiative found", "%(count)s initiatives found", 0) == "%(count)s initiative trouvée"
    assert french.ngettext("%(count)s initiative found", "%(count)s initiatives found", 2) == "%(count)s initiatives trouvées"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("fr", "fr"),
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        ("en-GB,en;q=0.9,fr;q=0.8", "en"),
        ("de-DE,de;q=0.9,fr;q=0.5,en;q=0.4", "fr"),
        ("en;q=0.2, FR;q=0.7", "fr"),
        ("fr;q=0, en;q=0.1", "en"),
        ("de, es", None),
        ("", None),
        ("fr;q=bogus", None),
    ],
)
def test_the_browsers_preference_picks_the_first_language_we_have(header: str, language: str | None) -> None:
    assert from_accept_language(header) == language


@pytest.mark.parametrize(
    ("target", "back_to"),
    [
        ("/search?q=hotline&harm=CSAM-KNOWN", "/search?q=hotline&harm=CSAM-KNOWN"),
        ("/glossary#harm-CSAM-KNOWN", "/glossary#harm-CSAM-KNOWN"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("search", "/"),
        ("/\t/evil.example", "/"),
        ("/search\r\nSet-Cookie: x=1", "/"),
    ],
)
def test_the_switch_goes_back_only_to_a_path_of_this_site(target: str | None, back_to: str) -> None:
    assert same_site_path(target) == back_to
