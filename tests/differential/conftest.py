"""The differential suite: minigrad against PyTorch on hypothesis-drawn inputs.

Two hypothesis profiles, registered here:

    fast  (the default)   few examples per case, derandomized and without a database,
                          so `make test` is quick and every CI run draws the same inputs;
    deep                  many more examples, random seeds: a fuzzing session.

Every case runs once under the active profile (fast, or deep with MINIGRAD_FUZZ=deep)
and once more under the deep profile as a `slow` test (`pytest -m slow
tests/differential`). Without torch every test here is skipped (torch_or_stub).
"""

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

settings.register_profile("fast", max_examples=int(os.environ.get("MINIGRAD_FUZZ_FAST", 20)),
                          derandomize=True, database=None, deadline=None,
                          suppress_health_check=_QUIET, print_blob=True)
settings.register_profile("deep", max_examples=int(os.environ.get("MINIGRAD_FUZZ_DEEP", 400)),
                          derandomize=False, database=None, deadline=None,
                          suppress_health_check=_QUIET, print_blob=True)


def _profiles():
    import pytest

    active = os.environ.get("MINIGRAD_FUZZ", "fast")
    if active not in ("fast", "deep"):
        raise ValueError(f"MINIGRAD_FUZZ must be 'fast' or 'deep', got {active!r}")
    if active == "deep":
        return ["deep"]
    return ["fast", pytest.param("deep", marks=pytest.mark.slow)]


def pytest_generate_tests(metafunc):
    """Tests taking a `profile` argument run under each hypothesis profile."""
    if "profile" in metafunc.fixturenames:
        metafunc.parametrize("profile", _profiles())


def pytest_terminal_summary(terminalreporter):
    from tests.differential import harness

    if harness.EXAMPLES_CHECKED[0]:
        terminalreporter.write_line(f"differential: {harness.EXAMPLES_CHECKED[0]} examples "
                                    "compared with torch")
