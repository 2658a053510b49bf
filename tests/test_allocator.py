"""The malloc settings: applied on glibc when the first kernel runs (never at import),
left alone when asked."""

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


def run(code, **env):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PATH": "", **env}, check=True)
    return done.stdout.strip()


def test_importing_minigrad_leaves_malloc_alone_until_a_kernel_runs():
    code = ("import numpy as np, minigrad, minigrad.nn; from minigrad import _allocator as a\n"
            "print(a.TUNED)\n"
            "minigrad.relu(minigrad.tensor(np.ones(3, np.float32)))\n"
            "print(a.TUNED is (a._glibc() is not None))")
    assert run(code).split() == ["None", "True"]


def test_the_opt_out_holds_when_the_kernels_run():
    code = ("import numpy as np, minigrad; from minigrad import _allocator as a\n"
            "minigrad.relu(minigrad.tensor(np.ones(3, np.float32))); print(a.TUNED)")
    assert run(code, MINIGRAD_TUNE_MALLOC="0") == "False"
