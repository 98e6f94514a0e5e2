"""`field_code`: which input fields the server owns and which no input type defines, and the schema's
`InputErrors` extension that answers them (test_server_owned_fields.py sends such input through the API)."""

from pathlib import Path

import pytest

from api.core.settings import Settings
from api.graphql.input_errors import SERVER_OWNED_FIELD, UNKNOWN_INPUT_FIELD, InputErrors, field_code
from api.schema import build_schema


def test_the_schema_installs_the_extension() -> None:
    """test_server_owned_fields.py needs `InputErrors` in api/schema.py's extension list."""
    assert InputErrors in build_schema(Settings(environment="test", data_dir=Path("/nonexistent"))).extensions


@pytest.mark.parametrize(
    ("type_name", "field_name", "code"),
    [
        ("CreateInitiativeInput", "leadOrganisation", SERVER_OWNED_FIELD),
        ("CreateEvidenceAssessmentInput", "assessingOrganisation", SERVER_OWNED_FIELD),
        ("CreateInitiativeInput", "id", SERVER_OWNED_FIELD),
        ("UpdateInitiativeInput", "organisation", UNKNOWN_INPUT_FIELD),
        ("UpdateOrganisationInput", "status", SERVER_OWNED_FIELD),
        ("UpdateInitiativeInput", "status", UNKNOWN_INPUT_FIELD),
        ("UpdateOrganisationInput", "isSecretariat", SERVER_OWNED_FIELD),
        ("LinkInput", "rel", UNKNOWN_INPUT_FIELD),
    ],
)
def test_field_code_names_what_the_server_owns(type_name: str, field_name: str, code: str) -> None:
    assert field_code(type_name, field_name) == code
