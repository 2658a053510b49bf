"""Compilation behaviour of the kernels: nothing compiles at import, the on-disk cache
falls back to a user directory when the package is read-only, and the OpenMP wait
policy is set only when the user has not chosen one."""

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


def test_importing_minigrad_compiles_no_kernel():
    out = run_python(f"""
        import json, importlib
        import minigrad, minigrad.nn, minigrad.ops.conv, minigrad.ops.pool
        from numba.core.registry import CPUDispatcher
        compiled = {{}}
        for name in {KERNEL_MODULES!r}:
            module = importlib.import_module("minigrad.kernels." + name)
            for attr, value in vars(module).items():
                if isinstance(value, CPUDispatcher):
                    compiled[name + "." + attr] = len(value.signatures)
        print(json.dumps(compiled))
    """)
    compiled = json.loads(out)
    assert len(compiled) >= 8, compiled              # the kernels were found ...
    assert not any(compiled.values()), compiled        # ... and none has a signature yet


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


def test_omp_wait_policy_is_passive_unless_the_user_chose():
    env = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    code = "import os, minigrad; print(os.environ['OMP_WAIT_POLICY'])"
    assert run_python(code, env=env).strip() == "PASSIVE"
    assert run_python(code, env=dict(env, OMP_WAIT_POLICY="ACTIVE")).strip() == "ACTIVE"
