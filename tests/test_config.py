"""mg.show_config(): the settings minigrad's speed depends on, reported without side effects."""

import io
import json
import subprocess
import sys

import numpy as np

import minigrad as mg


def test_show_config_prints_and_returns_the_four_sections():
    out = io.StringIO()
    settings = mg.show_config(file=out)
    assert set(settings) == {"threads", "blas", "allocator", "kernels"}
    assert settings["threads"]["num_threads"] == mg.get_num_threads()
    text = out.getvalue()
    for section in settings:
        assert f"{section}:" in text
    assert f"num_threads: {mg.get_num_threads()}" in text


def test_reading_the_config_loads_no_numba_and_tunes_nothing():
    code = ("import json, sys, io, minigrad as mg\n"
            "settings = mg.show_config(file=io.StringIO())\n"
            "print(json.dumps(['numba' in sys.modules, settings['kernels']['numba_loaded'],\n"
            "                  settings['allocator']['malloc_tuning'].startswith('not applied'),\n"
            "                  settings['threads']['crew_started']]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout) == [False, False, True, False]


def test_after_a_kernel_ran_the_config_says_so():
    mg.relu(mg.tensor(np.ones(4, np.float32)))
    settings = mg.show_config(file=io.StringIO())
    assert settings["kernels"]["numba_loaded"] is True
    assert settings["kernels"]["compiled_kernels"] >= 1
    assert settings["allocator"]["malloc_tuning"] != \
        "not applied yet (applied when the first compiled kernel runs)"
