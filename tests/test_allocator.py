"""The malloc settings made at import: applied on glibc, left alone when asked."""

import subprocess
import sys

import pytest

from minigrad import _allocator


@pytest.mark.parametrize("environ", [
    {"MINIGRAD_TUNE_MALLOC": "0"},
    {"MALLOC_MMAP_THRESHOLD_": "65536"},
    {"MALLOC_TRIM_THRESHOLD_": "0"},
    {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"},
])
def test_a_user_choice_is_never_overridden(environ):
    assert _allocator.tune_malloc(environ) is False


def test_on_glibc_both_settings_are_accepted():
    if _allocator._glibc() is None:
        pytest.skip("not glibc: minigrad leaves malloc alone")
    assert _allocator.tune_malloc({}) is True


def test_importing_minigrad_with_the_opt_out_leaves_malloc_alone():
    code = "import minigrad._allocator as a; print(a.TUNED)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"MINIGRAD_TUNE_MALLOC": "0", "PATH": ""}, check=True)
    assert done.stdout.strip() == "False"
