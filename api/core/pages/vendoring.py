"""The browser files coplab serves, taken from the npm registry at pinned versions.

`python -m api.core.pages.vendoring` (needs `npm` and the registry) fetches each package's tarball with
`npm pack`, copies the files below and the package's LICENSE into `static/vendor/<name>@<version>/`,
and writes `static/vendor/manifest.json`: each package's tarball, its registry integrity and shasum,
its licence, and a sha256 of every file copied. Nothing is ever loaded from a CDN at run time, so
the pages work on a network without internet access; tests/pages/test_vendored_files.py checks the
served files against the manifest.

To upgrade, change a version below, run the command, and check GraphiQL in a browser with the
network blocked (tests/pages/test_graphiql_offline.py) and the portal's pages (tests/portal/).
`vendor()` takes other packages and another directory too: the tests vendor axe-core the same way
(tests/portal/accessibility.py), as a fixture the app never serves.
"""

import hashlib
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

VENDOR_DIR = Path(__file__).parent / "static" / "vendor"
MANIFEST = VENDOR_DIR / "manifest.json"

# package@version -> {file served: its path in the tarball}. GraphiQL 3's browser build holds
# everything it runs (CodeMirror 5, graphql-js, its fonts as data: URLs) and loads nothing later;
# its React peer is React 18, the last React with browser (UMD) builds.
PACKAGES: dict[str, dict[str, str]] = {
    "graphiql@3.9.0": {"graphiql.min.js": "package/graphiql.min.js", "graphiql.min.css": "package/graphiql.min.css"},
    "react@18.3.1": {"react.production.min.js": "package/umd/react.production.min.js"},
    "react-dom@18.3.1": {"react-dom.production.min.js": "package/umd/react-dom.production.min.js"},
    # The portal's progressive enhancement (api/portal/, docs/portal.md): one file, no build step.
    # 2.x, not 4: the 2.x line is the one whose attributes and configuration the portal is written for.
    "htmx.org@2.0.11": {"htmx.min.js": "package/dist/htmx.min.js"},
}
LICENSE_IN_TARBALL = "package/LICENSE"
MANIFEST_NAME = "manifest.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pack(spec: str, into: Path) -> dict:
    """`npm pack` one package into `into`; npm's description of the tarball it fetched."""
    output = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(into)],
        check=True, capture_output=True, text=True, cwd=into,
    ).stdout
    (packed,) = json.loads(output)
    return packed


def vendor(wanted: dict[str, dict[str, str]] = PACKAGES, into: Path = VENDOR_DIR) -> dict:
    """Fetch every package of `wanted`, replace its vendored files under `into`, write and return
    the manifest (`into`/manifest.json)."""
    packages = []
    with tempfile.TemporaryDirectory() as scratch:
        for spec, files in wanted.items():
            packed = _pack(spec, Path(scratch))
            target = into / spec
            target.mkdir(parents=True, exist_ok=True)
            for old in target.iterdir():
                old.unlink()
            served = {}
            with tarfile.open(Path(scratch) / packed["filename"]) as tarball:
                licence = json.load(tarball.extractfile("package/package.json")).get("license")
                for name, member in {**files, "LICENSE": LICENSE_IN_TARBALL}.items():
                    data = tarball.extractfile(member).read()
                    (target / name).write_bytes(data)
                    served[f"{spec}/{name}"] = {"from": member, "sha256": sha256(data)}
            packages.append({
                "name": packed["name"],
                "version": packed["version"],
                "license": licence,
                "tarball": f"https://registry.npmjs.org/{packed['name']}/-/{packed['filename'].split('/')[-1]}",
                "integrity": packed["integrity"],
                "shasum": packed["shasum"],
                "files": served,
            })
    manifest = {"source": "npm registry (npm pack)", "packages": packages}
    (into / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


if __name__ == "__main__":
    for package in vendor()["packages"]:
        print(f"{package['name']}@{package['version']} {package['integrity']}")
