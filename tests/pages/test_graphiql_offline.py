"""GraphiQL works without internet access: Debian's chromium (headless, driven by Playwright) loads
it from a real server with every request to any other host refused, runs a query typed into it,
and shows the server's answer; the page breaks none of its Content Security Policy.

Runs when COPLAB_TEST_BROWSER names the chromium binary (`.ci/run` installs it and sets it);
otherwise it is skipped and says so.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from api.core.settings import Settings
from tests.browser import chromium, needs_browser
from tests.server import running_server

SCREENSHOT = Path("/tmp/coplab-graphiql-offline.png")

pytestmark = needs_browser


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


@pytest.fixture
def browser_context():  # noqa: ANN201
    with chromium(viewport={"width": 1280, "height": 800}) as context:
        yield context


def editor_text(page, selector: str) -> str:  # noqa: ANN001
    return page.evaluate("s => document.querySelector(s).CodeMirror.getValue()", selector)


def test_graphiql_runs_a_query_with_the_network_blocked(base_url, browser_context, make) -> None:  # noqa: ANN001
    make.organisation("offline-lab")
    own_origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
    served: list[str] = []
    refused: list[str] = []

    def only_our_server(route) -> None:  # noqa: ANN001
        url = route.request.url
        if "{0.scheme}://{0.netloc}".format(urlsplit(url)) == own_origin:
            served.append(urlsplit(url).path)
            route.continue_()
        else:
            refused.append(url)
            route.abort("internetdisconnected")

    browser_context.route("**/*", only_our_server)
    page = browser_context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{base_url}/graphql")  # returns once the page and its scripts and styles have loaded
    assert refused == []
    query_editor = ".graphiql-query-editor .CodeMirror"
    page.locator(query_editor).wait_for()
    page.locator(query_editor).click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    # CodeMirror closes brackets and quotes as they are typed, and types over the closing ones.
    page.keyboard.type('{ organisation(slug: "offline-lab") { name } }')
    assert editor_text(page, query_editor) == '{ organisation(slug: "offline-lab") { name } }'
    page.locator(".graphiql-execute-button").click()

    response_editor = ".graphiql-response .CodeMirror"
    page.wait_for_function("s => document.querySelector(s)?.CodeMirror.getValue().includes('Offline Lab')", arg=response_editor)
    assert json.loads(editor_text(page, response_editor)) == {"data": {"organisation": {"name": "Offline Lab"}}}
    page.screenshot(path=str(SCREENSHOT))

    assert refused == []  # nor later, while GraphiQL fetched the schema and ran the query
    assert problems == []  # no script error, no Content Security Policy violation
    assert {
        "/graphql",
        "/static/vendor/react@18.3.1/react.production.min.js",
        "/static/vendor/react-dom@18.3.1/react-dom.production.min.js",
        "/static/vendor/graphiql@3.9.0/graphiql.min.js",
        "/static/vendor/graphiql@3.9.0/graphiql.min.css",
        "/static/graphiql/start.js",
    } <= set(served)
