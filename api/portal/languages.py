"""The portal's languages, English and French (docs/portal.md, "Languages"): which one a request is
answered in, and the French message catalogue its strings are translated with.

The catalogue is kept as text only (translations/fr/LC_MESSAGES/messages.po, beside messages.pot): it is
compiled in memory when this module is imported, so there is no build step and no binary file in the
repository. Each request's language lives in a context variable, set once per request (`use_language`,
a dependency of the portal's router) before anything renders: concurrent requests each run in their own
task with their own copy of the context, so one visitor's French never leaks into another's page."""

from contextvars import ContextVar
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path
from urllib.parse import quote, urlsplit

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
ENGLISH, FRENCH = "en", "fr"
LANGUAGES = (ENGLISH, FRENCH)
COOKIE = "coplab-lang"
COOKIE_MAX_AGE = 365 * 24 * 3600  # a visitor's choice lasts a year, renewed each time they switch
# Each language's name in itself: the switch offers the other language in its own words.
NAMES = {ENGLISH: "English", FRENCH: "Français"}
# What the records' own text is written in. No record states the language of its title, summary or
# description (`languages` on an initiative is the languages it works in), and the registry is kept in
# English, the Lab's working language: on a French page that text is marked `lang="en"` and labelled.
RECORD_LANGUAGE = ENGLISH


def compile_catalogue(path: Path) -> Translations:
    """A .po file as gettext translations, compiled in memory (untranslated and fuzzy entries fall
    back to the English string, as gettext does)."""
    with path.open("rb") as po:
        catalogue = read_po(po, abort_invalid=True)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled)


TRANSLATIONS: dict[str, NullTranslations] = {
    ENGLISH: NullTranslations(),  # the templates' strings are English
    FRENCH: compile_catalogue(TRANSLATIONS_DIR / FRENCH / "LC_MESSAGES" / "messages.po"),
}

_current: ContextVar[str] = ContextVar("portal_language", default=ENGLISH)
_here: ContextVar[str] = ContextVar("portal_path", default="/")  # the page's path and query, to come back to


def current() -> str:
    """The language of the page being made."""
    return _current.get()


def gettext(message: str) -> str:
    return TRANSLATIONS[_current.get()].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return TRANSLATIONS[_current.get()].ngettext(singular, plural, n)


def country_name(country: dict) -> str:
    """A country (`{code name}` as GraphQL gives it, `name` English) named in the page's language, from
    Babel's copy of the CLDR; a code CLDR does not know keeps the registry's name."""
    if _current.get() == ENGLISH:
        return country["name"]
    return Locale(_current.get()).territories.get(country["code"].upper(), country["name"])


def language_name(language: dict) -> str:
    """A language (`{code name}`) named in the page's language, as `country_name`."""
    if _current.get() == ENGLISH:
        return language["name"]
    return Locale(_current.get()).languages.get(language["code"].lower(), language["name"])


def N_(message: str) -> str:  # noqa: N802  (gettext's name for a string marked, translated later)
    """Marks a string for extraction where it is defined; the template translates it when shown."""
    return message


def from_accept_language(header: str) -> str | None:
    """The first of our languages the browser prefers (RFC 9110 weights; `fr-CA` is French), if any."""
    preferences = []
    for position, item in enumerate(header.split(",")):
        tag, _, parameters = item.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            preferences.append((-quality, position, primary))
    return min(preferences)[2] if preferences else None


def language_of(request: Request) -> str:
    """The visitor's choice (the cookie the switch sets), else their browser's preference, else English."""
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return from_accept_language(request.headers.get("accept-language", "")) or ENGLISH


async def use_language(request: Request) -> None:
    """The router's dependency: every page of this request is made in the visitor's language. It is
    async so that it runs in the request's own task, whose context the page is then rendered in."""
    _current.set(language_of(request))
    query = request.url.query
    _here.set(request.url.path + (f"?{query}" if query else ""))


def switch() -> list[dict[str, str]]:
    """The header's switch: each other language, named in itself, with the address that chooses it
    and comes back to this page."""
    back = quote(_here.get(), safe="")
    return [
        {"code": code, "name": NAMES[code], "href": f"/language/{code}?next={back}"}
        for code in LANGUAGES if code != _current.get()
    ]


def same_site_path(target: str | None) -> str:
    """Where the switch may send the visitor back to: a path of this site, or the home page. An
    absolute address, a scheme-relative `//host` or `/\\host` (which browsers read as another site), or
    anything with control characters is refused, so the switch is no open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in target) or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target
