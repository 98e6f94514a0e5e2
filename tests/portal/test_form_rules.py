"""The form helpers (api/portal/forms.py) and the assessment form's reading (api/portal/contribute.py),
directly: a mutation's error paths placed by the form's fields, what was typed kept, empty finding
fieldsets skipped with their errors still placed by the fieldset shown. Through the pages:
test_contributing_in_the_browser.py."""

from api.portal.contribute import ASSESSMENT_FIELDS, FINDINGS, assessment_form_values, assessment_input, beyond_the_form, global_id
from api.portal.forms import Form, FormErrors, error_id, errors_by_field, field_id, path_name


def error(*path: object, message: str = "wrong") -> dict:
    return {"field": [str(p) for p in path], "code": "INVALID_CODE", "message": message}


def test_a_path_is_the_input_s_name_without_its_leading_input() -> None:
    assert path_name(["input", "findings", 0, "effectDirection"]) == "findings.0.effectDirection"
    assert path_name(["input", "title"]) == "title"
    assert path_name(["revision"]) == "revision"
    assert path_name([]) == ""
    assert field_id("findings.0.effectDirection") == "field-findings-0-effectDirection"
    assert error_id("title") == "field-title-error"


def test_each_error_goes_by_the_field_its_path_names_and_into_the_summary() -> None:
    visible = ["title", "status", "findings.0.outcome", "findings.0.effectDirection", "newStudy.title", "newStudy.studyDesign"]
    errors = errors_by_field([
        error("input", "title", message="Title is blank."),
        error("input", "findings", "0", "effectDirection", message="Unknown direction."),
        error("input", "newStudy", message="Give a study."),
        error("input", "links", "3", "url", message="Not a URL."),
        error("input", message="Something overall."),
    ], visible)
    assert errors.of("title") == ["Title is blank."]
    assert errors.of("findings.0.effectDirection") == ["Unknown direction."]
    assert errors.of("status") == [] and errors.of("newStudy") == []
    assert [(item.message, item.target) for item in errors.summary] == [
        ("Title is blank.", "title"),
        ("Unknown direction.", "findings.0.effectDirection"),
        ("Give a study.", "newStudy.title"),  # a path over several fields links to the first of them
        ("Not a URL.", None),  # no field of the form: the summary alone
        ("Something overall.", None),  # the whole input: no one field to link to
    ]
    assert errors and not FormErrors()


def test_a_rename_maps_the_mutation_s_names_to_the_form_s() -> None:
    errors = errors_by_field([error("input", "findings", "0", "outcome")], ["findings.2.outcome"], lambda n: n.replace(".0.", ".2."))
    assert errors.of("findings.2.outcome") == ["wrong"]


def test_posted_values_are_kept_every_one_of_them() -> None:
    form = Form({"title": ["  A title "], "harms": ["CSAM", "GROOMING", ""], "empty": [""]})
    assert form.get("title") == "  A title " and form.text("title") == "A title"
    assert form.getlist("harms") == ["CSAM", "GROOMING"] and form.has("harms", "GROOMING") and not form.has("harms", "X")
    assert form.text("empty") is None and form.get("missing") == "" and form.single()["harms"] == ""
    filled = Form.filled({"title": "T", "regions": ["EU", "AF"], "summary": None, "peer": True})
    assert filled.getlist("regions") == ["EU", "AF"] and "summary" not in filled.values and filled.get("peer") == "true"


def test_empty_finding_fieldsets_are_not_sent_and_errors_come_back_to_the_fieldset_shown() -> None:
    form = Form({
        "initiative": ["SW5pdGlhdGl2ZTox"], "independence": ["INDEPENDENT"], "study": [""],
        "findings.0.significance": ["NOT-TESTED"],  # only the default: empty
        "findings.1.outcome": ["REPORTS"], "findings.1.effectDirection": [""], "findings.1.effectSize": ["0.4"],
        "findings.2.outcome": [""],
    })
    errors = FormErrors()
    values, rename = assessment_input(form, errors)
    assert not errors
    assert values["findings"] == [{
        "outcome": "REPORTS", "effectDirection": "", "significance": "NOT-TESTED", "effectSizeMetric": None,
        "notes": None, "effectSize": 0.4, "ciLow": None, "ciHigh": None, "pValue": None,
    }]
    assert "study" not in values and "newStudy" not in values
    placed = errors_by_field([error("input", "findings", "0", "effectDirection")], ASSESSMENT_FIELDS, rename)
    assert placed.of("findings.1.effectDirection") == ["wrong"] and placed.of("findings.0.effectDirection") == []


def test_a_number_or_date_the_portal_cannot_read_is_an_error_by_its_field_and_nothing_is_sent() -> None:
    form = Form({"newStudy.title": ["A study"], "newStudy.sampleSize": ["about forty"], "newStudy.publishedOn": ["31/03/2025"],
                 "findings.0.outcome": ["REPORTS"], "findings.0.pValue": ["0,05"]})
    errors = FormErrors()
    assessment_input(form, errors)
    assert set(errors.by_field) == {"newStudy.sampleSize", "newStudy.publishedOn", "findings.0.pValue"}


def test_a_draft_s_content_fills_the_form_with_global_ids() -> None:
    revision = {"id": "UmV2aXNpb246Nw==", "content": {"initiative_id": 3, "data": {
        "study_id": None, "new_study": {"title": "Pilot study", "study_design": "RCT", "sample_size": 40},
        "independence": "SELF", "findings": [{"outcome": "REPORTS", "effect_direction": "POSITIVE", "p_value": 0.01}],
    }}}
    form = assessment_form_values(revision)
    assert form.get("initiative") == global_id("Initiative", 3) == "SW5pdGlhdGl2ZToz"
    assert form.get("newStudy.title") == "Pilot study" and form.get("newStudy.studyDesign") == "RCT"
    assert form.get("newStudy.sampleSize") == "40" and form.get("independence") == "SELF"
    assert form.get("findings.0.effectDirection") == "POSITIVE" and form.get("findings.0.pValue") == "0.01"
    assert form.get("revision") == "UmV2aXNpb246Nw==" and form.get("study") == ""


def test_a_draft_with_more_findings_than_the_form_shows_gets_no_form() -> None:
    def draft(findings: int) -> dict:
        return {"content": {"data": {"findings": [{"outcome": "REPORTS"}] * findings}}}

    assert not beyond_the_form(draft(FINDINGS)) and not beyond_the_form(None) and not beyond_the_form({})
    assert beyond_the_form(draft(FINDINGS + 1))
