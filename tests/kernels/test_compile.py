"""Compilation behaviour of the kernels: importing minigrad imports no Numba and
compiles nothing, the on-disk cache falls back to a user directory when the package
is read-only, and the OpenMP wait policy is applied only to Numba's own thread pool,
never left in the environment."""

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

import minigrad

PACKAGE = Path(minigrad.__file__).parent
KERNEL_MODULES = ["conv", "pool", "matmul"]


def run_python(code, env=None, cwd=None):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, env=env, cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_importing_minigrad_imports_no_numba_and_compiles_no_kernel():
    out = run_python(f"""
        import json, importlib, sys
        import minigrad, minigrad.nn, minigrad.optim, minigrad.ops.conv, minigrad.ops.pool
        for name in {KERNEL_MODULES!r}:
            importlib.import_module("minigrad.kernels." + name)
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "numba")))
    """)
    assert json.loads(out) == []


def test_the_first_kernel_call_makes_every_kernel_a_dispatcher_and_compiles_only_it():
    out = run_python(f"""
        import json, importlib
        import numpy as np
        import minigrad
        from minigrad.kernels import special
        special.relu(np.ones(3, np.float32))
        from numba.core.registry import CPUDispatcher
        compiled = {{}}
        for name in {KERNEL_MODULES!r} + ["special"]:
            module = importlib.import_module("minigrad.kernels." + name)
            for attr, value in vars(module).items():
                if isinstance(value, CPUDispatcher):
                    compiled[name + "." + attr] = len(value.signatures)
        print(json.dumps(compiled))
    """)
    compiled = json.loads(out)
    assert len(compiled) >= 9, compiled                      # names were rebound ...
    assert compiled.pop("special._relu_flat") == 1, compiled  # ... the one called compiled,
    assert not any(compiled.values()), compiled               # ... and no other


def unprivileged(command):
    """Run as user 'nobody' when we are root (root ignores file permissions)."""
    if os.geteuid() != 0:
        return command
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot test read-only directories")
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if not _nobody_can_run_this_python(tuple(as_nobody)):
        pytest.skip("user 'nobody' cannot read this Python environment (e.g. a venv inside "
                    "a private 0700 directory): cannot test read-only directories")
    return as_nobody + command


@functools.lru_cache(maxsize=1)
def _nobody_can_run_this_python(as_nobody):
    probe = subprocess.run(list(as_nobody) + [sys.executable, "-c", "import numpy, numba"],
                           cwd="/", capture_output=True, timeout=120)
    return probe.returncode == 0


@pytest.fixture
def read_only_install():
    """A copy of the minigrad package in a read-only directory, readable by everyone."""
    root = Path(tempfile.mkdtemp(prefix="minigrad-ro-"))
    shutil.copytree(PACKAGE, root / "site" / "minigrad",
                    ignore=shutil.ignore_patterns("__pycache__", "lectures"))
    for path in (root / "site").rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    (root / "site").chmod(0o555)
    for directory in ("home", "tmp"):
        (root / directory).mkdir()
        (root / directory).chmod(0o777)
    root.chmod(0o755)
    yield root
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(root)


CALL_A_KERNEL = """
    import numpy as np, minigrad
    from minigrad.kernels import matmul
    assert minigrad.__file__.startswith({site!r}), minigrad.__file__
    a = np.ones((3, 2, 2))
    print(matmul.batched_matmul(a, a).sum())
"""


@pytest.mark.parametrize("home_writable", [True, False])
def test_kernels_cache_outside_a_read_only_package(read_only_install, home_writable):
    """Package read-only: Numba caches under ~/.cache/numba; if the home is read-only
    too, minigrad points the cache at a per-user temporary directory."""
    site, home, tmp = (str(read_only_install / name) for name in ("site", "home", "tmp"))
    if not home_writable:
        (read_only_install / "home").chmod(0o555)
    env = {key: value for key, value in os.environ.items()
           if key not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    env.update(HOME=home, TMPDIR=tmp, PYTHONDONTWRITEBYTECODE="1")
    code = textwrap.dedent(CALL_A_KERNEL.format(site=site))
    for _ in range(2):  # the second run must find (and not choke on) the cache
        result = subprocess.run(unprivileged([sys.executable, "-c", code]), cwd=site, env=env,
                                capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "24.0"
    cache = read_only_install / ("home" if home_writable else "tmp")
    cached = [path.name for path in cache.rglob("*.nbi")]
    assert any("batched_matmul" in name for name in cached), cached


def test_omp_wait_policy_is_passive_for_numba_unless_the_user_chose_and_never_left_set():
    env = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    code = textwrap.dedent("""
        import os, numpy as np, minigrad
        from minigrad.kernels import _lazy, matmul
        a = np.ones((2048, 2, 2), np.float32)
        matmul.batched_matmul(a, a)
        print(os.environ.get("OMP_WAIT_POLICY"), _lazy.PARALLEL_SETTINGS["omp_wait_policy"])
    """)
    assert run_python(code, env=env).split() == ["None", "PASSIVE", "(minigrad's", "choice)"]
    chosen = run_python(code, env=dict(env, OMP_WAIT_POLICY="ACTIVE")).split()
    assert chosen == ["ACTIVE", "ACTIVE"]


def test_importing_minigrad_changes_no_environment_variable():
    code = "import os, json; before = dict(os.environ); import minigrad, minigrad.nn; " \
           "print(json.dumps(dict(os.environ) == before))"
    env = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    assert run_python(code, env=env).strip() == "true"
