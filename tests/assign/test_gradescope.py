"""A Gradescope run reproduced: gradescope.zip unpacked into an /autograder-shaped tree,
a fresh virtualenv, setup.sh, then run_autograder on a submission."""

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile

import pytest


@pytest.mark.slow
def test_gradescope_run(course, tmp_path, validate):
    root = tmp_path / "autograder"
    for part in ("source", "submission", "results"):
        (root / part).mkdir(parents=True)
    with zipfile.ZipFile(os.path.join(course["out"], "optimisation", "gradescope.zip")) as z:
        z.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        os.chmod(root / "source" / script, 0o755)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # minigrad's own dependencies come from this interpreter's site-packages, as
    # --system-site-packages would give them; minigrad itself comes from the wheel
    site = subprocess.check_output([str(python), "-c", "import sysconfig; "
                                    "print(sysconfig.get_paths()['purelib'])"], text=True)
    with open(os.path.join(site.strip(), "deps.pth"), "w") as handle:
        handle.write(sysconfig.get_paths()["purelib"] + "\n")
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_SOURCE=str(root / "source"),
               AUTOGRADER_PYTHON=str(python), PYTHONPATH="")
    env.pop("PYTHONPATH")
    subprocess.run(["bash", "setup.sh"], cwd=root / "source", env=env, check=True)
    reference = root / "source" / "autograder" / "reference" / "optimisers.py"
    (root / "submission" / "optimisers.py").write_text(reference.read_text().replace(
        "m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)", "m_hat, v_hat = m, v"))
    subprocess.run(["bash", "run_autograder"], cwd=root / "source", env=env, check=True,
                   timeout=600)
    results = validate(root / "results" / "results.json")
    by_number = {t["number"]: t for t in results["tests"]}
    assert by_number["3.3"]["score"] == 0 and by_number["3.1"]["score"] == 10
    assert results["score"] == 40
    where = subprocess.check_output(
        [str(python), "-c", "import minigrad; print(minigrad.__file__)"], text=True, cwd=tmp_path)
    assert str(env_dir) in where, f"minigrad came from {where}, not the wheel"
    assert sys.executable != str(python)
