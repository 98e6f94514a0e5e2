"""The vendored browser files: nothing ships that the manifest does not list (test_graphiql_assets.py
checks that each listed file is served as recorded)."""

import json

from api.core.pages.vendoring import MANIFEST, VENDOR_DIR

manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))


def test_nothing_unlisted_is_shipped_among_the_vendored_files() -> None:
    listed = {path for package in manifest["packages"] for path in package["files"]}
    on_disk = {str(path.relative_to(VENDOR_DIR)) for path in VENDOR_DIR.rglob("*") if path.is_file()}
    assert on_disk - {"manifest.json"} == listed
