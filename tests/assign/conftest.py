"""Shared fixtures: the course built once per session (self-check included)."""

import json
import os

import pytest

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "gradescope_results.schema.json")


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """DIST of `minigrad assign --course`, self-checked, with its shared wheel."""
    from minigrad.assign.build import build_course

    out = tmp_path_factory.mktemp("course")
    lines = []
    results = build_course(str(out), log=lines.append)
    return {"out": str(out), "results": results, "log": "\n".join(lines)}


@pytest.fixture(scope="session")
def results_schema():
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="session")
def validate(results_schema):
    """validate(path): every results.json a test writes goes through Gradescope's schema."""
    import jsonschema

    def check(path):
        with open(path, encoding="utf-8") as handle:
            results = json.load(handle)
        jsonschema.validate(results, results_schema)
        return results
    return check
