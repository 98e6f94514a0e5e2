"""docs/ratings.md, rendered from the published rule sets (`coplab ratings docs`; tests/ratings/test_docs_command.py
fails when the committed page drifts from the files)."""

from collections.abc import Sequence

import yaml

from api.core.settings import PROJECT_ROOT
from api.ratings import seeded
from api.ratings.ruleset import Criterion, Ruleset, load_ruleset, ruleset_versions

DOCS_FILE = PROJECT_ROOT / "docs" / "ratings.md"

SCHEME_NAMES = {
    "CRIMESOLUTIONS": "CrimeSolutions",
    "CEBC": "CEBC",
    "BLUEPRINTS": "Blueprints",
    "WWC": "What Works Clearinghouse",
    "EEF": "EEF",
    "GRADE": "GRADE",
    "INSPIRE": "INSPIRE-based scale",
}

INTRODUCTION = """\
# Outcome ratings: the published rule sets

<!-- Generated from seed/ratings/*.yaml by `coplab ratings docs`; edit those files and run it again
(`coplab ratings docs --check` and a test fail when this page and the files differ). -->

coplab computes an outcome rating for each outcome of an initiative or a best practice from the findings of
its evidence assessments, by the rules on this page. A rule set is data (`seed/ratings/<version>.yaml`); the
engine (`api/ratings/engine.py`) interprets it and holds no threshold of its own, so a new version changes
ratings without a change of code. The API serves every version, the newest being current:

```graphql
{ ratingRulesetVersions ratingRuleset { version rules { position ruleId rating condition criteria { scheme says differs } } } }
```

No token is needed: the rules are published. Each rating names the rule set version and the rule that gave
it, the findings it rests on (*counted*) and those it does not (with the reason code and its words), and a
certainty trace, one row for each GRADE domain. Why the rules are what they are is in
[evidence-design.md](evidence-design.md), "The rule set".

How to read a rule's machine form: a `samples` match lists what a finding must have (each list: one of its
codes; `any_of`: one of the sub-matches; `min_sms`/`max_sms`: its SMS level after its comparison's cap); a
count holds when the number of distinct samples among the kept findings it matches is at least `at_least`
and at most `at_most`; `any_of` under `when` holds when one of its clauses does; every clause of `when`
must hold. `subject` matches the initiative or best practice rated. `independence` names the
assessors that cannot qualify a rule alone, and the rating given when only they do.
"""


def _cell(text: str | None) -> str:
    """`text` as one Markdown table cell."""
    return " ".join((text or "").split()).replace("|", "\\|")


def _paragraph(text: str) -> str:
    return " ".join(text.split())


def _machine(data: object) -> str:
    dumped = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)
    return f"```yaml\n{dumped}```"


def _inline(data: object) -> str:
    return "`" + yaml.safe_dump(data, sort_keys=False, default_flow_style=True, width=10_000).strip() + "`"


def _criteria(criteria: Sequence[Criterion], heading: str) -> list[str]:
    if not criteria:
        return []
    lines = [f"{heading}", "", "| Scheme | What it says | Where coplab deliberately differs |", "|---|---|---|"]
    lines += [f"| {SCHEME_NAMES[c.scheme]} | {_cell(c.says)} | {_cell(c.differs) or '—'} |" for c in criteria]
    return [*lines, ""]


def _eligibility(ruleset: Ruleset) -> list[str]:
    lines = [
        "### 1. Eligibility",
        "",
        "Each finding goes through these checks in order; the first that matches sets it aside with its code,",
        "and it then counts towards no rule. The checks see only the findings still in play, so a report set",
        "aside for an earlier reason never hides another report of its sample.",
        "",
    ]
    for number, check in enumerate(ruleset.eligibility, start=1):
        lines += [f"#### 1.{number} `{check.code}`", "", _paragraph(check.words), ""]
        if check.when is not None:
            lines += [f"Machine form: {_inline(check.when.model_dump(mode='json', exclude_none=True))}", ""]
        else:
            assert check.duplicate_sample is not None
            form = {"duplicate_sample": check.duplicate_sample.model_dump(mode="json")}
            lines += [f"Machine form: {_inline(form)}", ""]
        lines += [f"Explanation shown on the finding: “{_paragraph(check.explanation)}”", ""]
        lines += _criteria(check.criteria, "Criteria:")
    words = ruleset.contributions
    lines += [
        f"A kept finding is *counted* when the rule that gave the rating rests on it: “{_paragraph(words.counted)}”",
        "",
        f"A kept finding the rule does not rest on gets the code `{words.unused_code}`: “{_paragraph(words.unused)}”",
        "",
    ]
    return lines


def _rules(ruleset: Ruleset) -> list[str]:
    lines = ["### 2. Rules, in order", "", "The first rule that holds gives the rating.", ""]
    for position, rule in enumerate(ruleset.rules, start=1):
        lines += [f"#### 2.{position} `{rule.id}` gives {rule.rating}", "", _paragraph(rule.condition), ""]
        basis = rule.rests_on.words if rule.rests_on else "no finding"
        lines += [f"Rests on: {basis}.", ""]
        machine = rule.model_dump(mode="json", exclude_none=True, include={"rests_on", "when", "independence"})
        if rule.when:
            lines += ["Machine form:", "", _machine(machine), ""]
        else:
            lines += [f"Machine form: {_inline(machine)}, a rule without conditions: it holds for anything.", ""]
        lines += _criteria(rule.criteria, "Criteria followed:")
    return lines


def _certainty(ruleset: Ruleset) -> list[str]:
    certainty = ruleset.certainty
    lines = [
        "### 3. Certainty",
        "",
        _paragraph(certainty.words),
        "",
        f"Levels, lowest first: {', '.join(certainty.levels)}. A {', '.join(certainty.not_assessed_for)} rating is "
        f"`{certainty.not_assessed}`, with one START row in its trace. {_paragraph(certainty.not_assessed_words)}",
        "",
        f"Start: {_paragraph(certainty.start.words)}",
        "",
        "| Effect scale | No effect | Large | Meaning |",
        "|---|---|---|---|",
    ]
    for name, scale in certainty.effect_scales.items():
        large = "—" if scale.large is None else f"×{scale.large:g} either way" if scale.multiplicative else f"±{scale.large:g}"
        lines.append(f"| `{name}` | {scale.no_effect:g} | {large} | {_cell(scale.words)} |")
    lines += ["", _paragraph(certainty.default_scale_words), "", "Steps, in order (each is one row of the trace):", ""]
    for step in certainty.steps:
        lines += [f"#### `{step.domain}` ({step.change:+d} at most)", "", _paragraph(step.words), ""]
        machine = step.model_dump(mode="json", exclude={"words", "criteria", "domain"})
        lines += [f"Machine form: {_inline(machine)}", ""]
        lines += _criteria(step.criteria, "Criteria:")
    lines += _criteria(certainty.criteria, "Criteria followed by the certainty as a whole:")
    return lines


def _extent(ruleset: Ruleset) -> list[str]:
    extent = ruleset.extent
    return [
        "### 4. Extent, sustained effect, independent replication",
        "",
        f"- {_paragraph(extent.words)}",
        f"- {_paragraph(extent.sustained_words)} (`sustained_months: {extent.sustained_months}`)",
        f"- {_paragraph(extent.replication_words)} (`replication_independence: {list(extent.replication_independence)}`)",
        "",
    ]


def _crosswalk(ruleset: Ruleset) -> list[str]:
    lines = [
        "### 5. Crosswalk from other schemes",
        "",
        "A finding keeps the rating its source scheme gave beside the one coplab computes; this table says how",
        "to read one against the other. It is for reading only: no rule takes a source scheme's rating as input.",
        "",
    ]
    for scheme in ruleset.crosswalk:
        lines += [f"#### {scheme.name}", "", f"Reference: {scheme.reference}", ""]
        lines += ["| Source rating | coplab | Note |", "|---|---|---|"]
        for row in scheme.rows:
            target = row.rating or f"certainty {row.certainty}"
            lines.append(f"| {_cell(row.source)} | {target} | {_cell(row.note)} |")
        lines.append("")
    return lines


def render_version(ruleset: Ruleset, current: bool) -> str:
    lines = [
        f'<a id="version-{ruleset.version}"></a>',
        "",
        f"## Version {ruleset.version}{' (current)' if current else ''}: {ruleset.title}",
        "",
        _paragraph(ruleset.summary),
        "",
        "Guarantees, which the rule set's loader refuses to break:",
        "",
        *[f"- {_paragraph(g)}" for g in ruleset.guarantees],
        "",
        "SMS levels: " + _paragraph(ruleset.sms_words),
        "",
        "| Comparison | Highest SMS level |",
        "|---|---|",
        *[f"| `{comparison}` | {cap} |" for comparison, cap in ruleset.comparison_caps.items()],
        "",
        *_eligibility(ruleset),
        *_rules(ruleset),
        *_certainty(ruleset),
        *_extent(ruleset),
        *_crosswalk(ruleset),
    ]
    return "\n".join(lines)


def render(rulesets: Sequence[Ruleset]) -> str:
    """The page for these versions, oldest first (the last is current), newest shown first."""
    listed = ", ".join(f"[version {r.version}](#version-{r.version})" for r in reversed(rulesets))
    parts = [INTRODUCTION, f"Versions: {listed}.\n"]
    parts += [render_version(r, current=r is rulesets[-1]) for r in reversed(rulesets)]
    return "\n".join(parts).rstrip("\n") + "\n"


def docs_markdown() -> str:
    """docs/ratings.md as the published rule sets give it, ending with the seeded registry's ratings."""
    rulesets = [load_ruleset(version) for version in ruleset_versions()]
    seeded_lines = seeded.render(seeded.seeded_ratings(rulesets[-1]), rulesets[-1].version)
    return render(rulesets) + "\n" + "\n".join(seeded_lines).rstrip("\n") + "\n"
