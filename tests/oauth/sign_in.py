"""Driving the sign-in and consent pages over HTTP, as a browser would: GET the page, keep its
cookie, post its forms with their hidden fields."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import httpx
from tests.server import HTTP_TIMEOUT


class _Forms(HTMLParser):
    """The inputs of a page's forms: hidden values, and the options of radio groups."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.actions: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.actions.append(values.get("action", ""))
        elif tag == "input" and values.get("type") == "radio":
            self.radios.setdefault(values["name"], []).append(values["value"])
        elif tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")


def forms(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


@dataclass
class Browser:
    """One person's browser: a cookie jar, no automatic redirects (the tests look at each one).
    `source` is the loopback address it connects from (127.0.0.x), to stand for another machine."""

    base_url: str
    source: str | None = None
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        transport = httpx.HTTPTransport(local_address=self.source) if self.source else None
        self.http = httpx.Client(base_url=self.base_url, follow_redirects=False, transport=transport, timeout=HTTP_TIMEOUT)

    def close(self) -> None:
        self.http.close()

    def open(self, url: str) -> httpx.Response:
        return self.http.get(url)

    def submit(self, page: httpx.Response, data: dict[str, str], **headers: str) -> httpx.Response:
        """Post the page's (first) form with its hidden fields and `data`."""
        parsed = forms(page.text)
        return self.http.post(parsed.actions[0], data={**parsed.fields, **data}, headers=headers)

    def sign_in(self, authorization_url: str, email: str, password: str) -> httpx.Response:
        page = self.open(authorization_url)
        assert page.status_code == 200, page.text
        return self.submit(page, {"email": email, "password": password})

    def authorize(
        self, authorization_url: str, email: str, password: str, *, organisation: int | None = None, decision: str = "allow"
    ) -> str:
        """Sign in and answer the consent page; the URL the browser is sent back to."""
        consent = self.sign_in(authorization_url, email, password)
        assert consent.status_code == 200, consent.text
        choice = {"decision": decision}
        if organisation is not None:
            choice["organisation"] = str(organisation)
        else:
            choice["organisation"] = forms(consent.text).radios["organisation"][0]
        answer = self.submit(consent, choice)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
