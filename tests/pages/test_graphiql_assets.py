"""The GraphiQL page and the files it loads: every vendored file is served exactly as the npm
registry's tarball held it (its sha256 in the manifest), with its package's licence beside it, and
the page loads nothing else from anywhere but this server."""

import hashlib
import json
import re

from api.core.pages.vendoring import MANIFEST, PACKAGES

manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))


def test_every_vendored_file_is_served_as_the_manifest_records(client) -> None:  # noqa: ANN001
    listed = 0
    for package in manifest["packages"]:
        spec = f"{package['name']}@{package['version']}"
        assert spec in PACKAGES
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", package["integrity"]), package["integrity"]
        assert package["license"] and f"{spec}/LICENSE" in package["files"]
        for path, recorded in package["files"].items():
            assert path.startswith(f"{spec}/")
            response = client.get(f"/static/vendor/{path}")
            assert response.status_code == 200, path
            assert hashlib.sha256(response.content).hexdigest() == recorded["sha256"], path
            listed += 1
    assert listed == sum(len(files) + 1 for files in PACKAGES.values())  # each package's files and LICENSE


def test_the_graphiql_page_loads_only_our_files_under_a_strict_policy(client) -> None:  # noqa: ANN001
    response = client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy and "unsafe" not in policy
    assert "<script>" not in response.text and "style=" not in response.text and "<style" not in response.text
    vendored = {path for package in manifest["packages"] for path in package["files"]}
    loaded = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert loaded, response.text
    for url in loaded:
        assert url.startswith("/static/"), url
        if url.startswith("/static/vendor/"):
            assert url.removeprefix("/static/vendor/") in vendored, url
        assert client.get(url).status_code == 200, url


def test_development_serves_no_page_that_would_load_from_a_cdn(client) -> None:  # noqa: ANN001
    # FastAPI's Swagger UI and ReDoc pages load their scripts from public CDNs (docs/api.md).
    for path in ("/docs", "/redoc"):
        assert client.get(path).status_code == 404
    assert client.get("/openapi.json").json()["info"]["title"] == "coplab"
