"""One line per reason tests were skipped, with its count, instead of one line per skipped test.

A run without PostgreSQL or a browser skips hundreds of tests for two reasons; listing each one
(`-rs`) buried the failures. Failures, errors and xfails are still listed one by one (`-rfExX` in
pyproject's addopts), and pytest's closing line is untouched. Asking for skips explicitly (`-rs`,
`-ra`) lists them as pytest does, instead of this summary.
"""

from collections import Counter

import pytest


def skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):  # (path, line, "Skipped: reason") for a skip
        return report.longrepr[2].removeprefix("Skipped: ")
    return str(report.longrepr)


def report_skips(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped or terminalreporter.hasopt("s"):
        return
    reasons = Counter(skip_reason(report) for report in skipped)
    terminalreporter.section("skipped tests, by reason", sep="-")
    width = len(str(max(reasons.values())))
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"{count:>{width}} {reason}")


pytest_terminal_summary = report_skips  # for a conftest that wants this hook alone
