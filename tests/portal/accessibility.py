"""WCAG 2.2 AA checks of a page in the browser, by axe-core (docs/portal.md, "Accessibility").

axe-core is a test fixture, never served by the app: `python -m tests.portal.accessibility` (needs
`npm` and the registry) vendors it from the npm registry at the version below into
tests/portal/vendor/ with the same mechanism as the app's browser files (api/core/pages/vendoring.py):
the file, its MPL-2.0 licence and its third-party notices, and a manifest with the tarball's
integrity and each file's sha256, which `axe_source()` checks before every use.

The pages' policy (`script-src 'self'`) refuses inline scripts, so axe is not added as a <script>:
Playwright's `page.evaluate` runs it through the DevTools protocol, in the page's own world, where
the page's policy does not apply; the browser context stays an ordinary one (no `bypass_csp`), so
the same page can still be checked for policy violations.

Use: `assert_accessible(page)` once the page shows what is to be checked; `context=` limits axe's
check to a part of the page (a CSS selector), `exclude=` leaves parts out. It also checks that the
page fits a 320 CSS px window (reflow, which axe does not check; `reflow=False` to skip it).
"""

import hashlib
import json
from functools import cache
from pathlib import Path

AXE = "axe-core@4.14.1"
VENDOR_DIR = Path(__file__).parent / "vendor"
MANIFEST = VENDOR_DIR / "manifest.json"
PACKAGES = {AXE: {"axe.min.js": "package/axe.min.js", "LICENSE-3RD-PARTY.txt": "package/LICENSE-3RD-PARTY.txt"}}

# WCAG 2.0, 2.1 and 2.2, levels A and AA: what the portal promises (axe tags its rules so).
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@cache
def axe_source() -> str:
    """axe-core's script, after checking it is the file the manifest recorded."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    (package,) = [p for p in manifest["packages"] if f"{p['name']}@{p['version']}" == AXE]
    assert package["license"] == "MPL-2.0", package["license"]
    data = (VENDOR_DIR / AXE / "axe.min.js").read_bytes()
    recorded = package["files"][f"{AXE}/axe.min.js"]["sha256"]
    assert hashlib.sha256(data).hexdigest() == recorded, f"{AXE}/axe.min.js differs from its manifest"
    return data.decode("utf-8")


def axe_results(page, *, context: str | None = None, exclude: list[str] | None = None) -> dict:  # noqa: ANN001
    """What axe finds on `page` (its whole document, or the part `context` selects) for WCAG_AA."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    where = {"include": [context] if context else ["html"], "exclude": exclude or []}
    options = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
    return page.evaluate("([where, options]) => axe.run(where, options)", [where, options])


def described(violation: dict) -> str:
    """One violation as a line per element: rule, impact, where, and what to do."""
    lines = [f"{violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}"]
    for node in violation["nodes"]:
        lines.append(f"    at {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').replace(chr(10), ' ')}")
    return "\n".join(lines)


# What is wider than the window once it is 320 CSS px wide, the width WCAG 1.4.10 (reflow) asks a
# page to fit without scrolling sideways; data tables are exempt (their rows and columns need both
# directions), so they are set aside (through the CSSOM, which the policy allows) while it is measured.
OVERFLOWING = """() => {
  const tables = [...document.querySelectorAll('table')], shown = tables.map(t => t.style.display);
  tables.forEach(t => { t.style.display = 'none'; });
  try {
    if (document.documentElement.scrollWidth <= window.innerWidth) return [];
    return [...document.body.querySelectorAll('*')]
      .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible'))
      .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.getAttribute('class') ? '.' + e.getAttribute('class') : '') + ': ' + e.textContent.trim().slice(0, 60));
  } finally {
    tables.forEach((t, i) => { t.style.display = shown[i]; });
  }
}"""
NARROW = {"width": 320, "height": 640}


def overflowing_when_narrow(page) -> list[str]:  # noqa: ANN001
    """The elements (outside data tables) wider than a 320 CSS px window; the window's size is then
    put back."""
    size = page.viewport_size
    page.set_viewport_size(NARROW)
    try:
        return page.evaluate(OVERFLOWING)
    finally:
        page.set_viewport_size(size)


def assert_accessible(page, *, context: str | None = None, exclude: list[str] | None = None, reflow: bool = True) -> dict:  # noqa: ANN001
    """Fail, listing every violation, unless axe finds `page` meets WCAG 2.2 AA; the results
    otherwise. It also fails if axe ran no rule at all, so a check that did not run cannot pass.
    With `reflow` (the default) the whole page must also fit 320 CSS px (WCAG 1.4.10, which axe
    does not check)."""
    results = axe_results(page, context=context, exclude=exclude)
    checked = len(results["passes"]) + len(results["incomplete"]) + len(results["inapplicable"]) + len(results["violations"])
    assert checked > 0 and results["passes"], f"axe ran no rule on {page.url}"
    assert results["violations"] == [], f"{page.url} fails WCAG 2.2 AA:\n" + "\n".join(map(described, results["violations"]))
    if reflow:
        wide = overflowing_when_narrow(page)
        assert wide == [], f"{page.url} is wider than 320 CSS px (WCAG 1.4.10):\n" + "\n".join(f"    {w}" for w in wide)
    return results


if __name__ == "__main__":
    from api.core.pages.vendoring import vendor

    for package in vendor(PACKAGES, VENDOR_DIR)["packages"]:
        print(f"{package['name']}@{package['version']} {package['integrity']}")
