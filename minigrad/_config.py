"""minigrad.show_config(): every setting minigrad's speed depends on, in one place.

Importing minigrad changes nothing another library in the process can see: no
environment variable, no allocator setting. What minigrad does set, it sets when
its own kernels first run, and this is where each of those is listed:
  threads    minigrad's crew (minigrad.set_num_threads), where the count came from,
             and how long a crew thread polls for work before it sleeps;
  BLAS       the library NumPy uses and its current thread count (threadpoolctl's
             view when it is installed, else numpy.show_config's build record);
  allocator  glibc malloc thresholds (minigrad._allocator), applied at the first
             kernel call;
  kernels    whether Numba is loaded yet, its on-disk cache, its parallel layer
             and the OpenMP wait policy it was started with (kernels/_lazy.py).
Reading the settings never loads Numba or starts a thread.
"""

import os
import sys


def _thread_settings():
    from minigrad.kernels import _threads

    source = next((name for name in ("MINIGRAD_NUM_THREADS", "OMP_NUM_THREADS")
                   if os.environ.get(name)), "the cores this process may use")
    return {"num_threads": _threads.get_num_threads(), "default_from": source,
            "crew_started": _threads._pool is not None,
            "handoff_spin_polls": _threads.SPIN_POLLS,
            "blas_may_thread": _threads.blas_may_thread()}


def _blas_settings():
    from minigrad.kernels import _threads

    found = {"openblas_threads_now": _threads._openblas[0]() if _threads._openblas else None}
    try:
        import threadpoolctl
    except ImportError:
        import numpy as np

        try:
            blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
            found.update(library=blas.get("name"), version=blas.get("version"),
                         configuration=blas.get("openblas configuration"),
                         source="numpy.show_config (threadpoolctl not installed)")
        except (TypeError, KeyError):  # NumPy < 1.25 has no mode="dicts"
            found["source"] = "unknown (install threadpoolctl to see it)"
        return found
    pools = [{key: info.get(key) for key in ("user_api", "internal_api", "version",
                                              "num_threads", "filepath")}
             for info in threadpoolctl.threadpool_info()]
    found.update(source="threadpoolctl", pools=pools)
    return found


def _compiled(dispatcher):
    """Has this dispatcher (an njit function or a vectorize DUFunc) compiled a version?"""
    return bool(getattr(dispatcher, "signatures", None) or getattr(dispatcher, "types", None))


def _kernel_settings():
    from minigrad._mode import reference_mode_enabled
    from minigrad.kernels import _lazy

    found = {"numba_loaded": _lazy.numba_loaded(), "reference_mode": reference_mode_enabled(),
             "lazy_kernels": len(_lazy._kernels)}
    numba = sys.modules.get("numba") if _lazy.numba_loaded() else None
    if numba is not None:
        found.update(numba_version=numba.__version__,
                     cache_dir=numba.config.CACHE_DIR or "next to the source (__pycache__), "
                                                          "else ~/.cache/numba",
                     compiled_kernels=sum(_compiled(k._dispatcher) for k in _lazy._kernels))
    found["parallel"] = dict(_lazy.PARALLEL_SETTINGS) or "not started (no parallel kernel ran)"
    return found


def config():
    """The settings as a dict: {"threads": ..., "blas": ..., "allocator": ..., "kernels": ...}."""
    from minigrad import _allocator

    return {"threads": _thread_settings(), "blas": _blas_settings(),
            "allocator": _allocator.settings(), "kernels": _kernel_settings()}


def show_config(file=None):
    """Print minigrad's threads, BLAS, allocator and kernel-cache settings in force,
    and return them as a dict (see minigrad/_config.py for what each one is)."""
    settings = config()
    out = file or sys.stdout
    for section, values in settings.items():
        print(f"{section}:", file=out)
        for key, value in values.items():
            if isinstance(value, list):
                print(f"  {key}:", file=out)
                for item in value:
                    print(f"    - {item}", file=out)
            else:
                print(f"  {key}: {value}", file=out)
    return settings
