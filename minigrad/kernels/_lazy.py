"""Numba on demand: `import minigrad` does not import Numba; the first kernel call does.

Importing Numba costs about 0.4 s and 70 MB, more than the rest of minigrad and
NumPy together, and a student who only builds scalar graphs never needs it. So
the kernel modules decorate with this module's `njit` and `vectorize`, which
record the Python function and its options and return a `LazyKernel`. The first
time any lazy kernel is called (or an attribute of it is read), `load_numba`:
  1. applies the process-wide settings minigrad's kernels want (the malloc
     thresholds of minigrad._allocator): a process that imports minigrad but
     never runs a kernel, or runs PyTorch beside it, sees none of them;
  2. imports Numba and makes sure it has somewhere to write its on-disk cache;
  3. turns every lazy kernel into the real Numba dispatcher (still uncompiled:
     each compiles, or loads from the cache, on its first call, once per dtype),
     and rebinds every name in minigrad's modules that held a LazyKernel or a
     placeholder (`prange`, `uint64`) to the real object. Rebinding is what lets
     one kernel call another: Numba resolves a kernel's globals when it compiles
     it, and must find a dispatcher there, not our wrapper.
Kernels defined after that (a module imported later) get a dispatcher at once.

`cache=True` is untouched, so a warm start loads machine code from disk.
What is in force is printed by minigrad.show_config().
"""

import os
import sys
import tempfile
import threading

_kernels = []            # every LazyKernel made before Numba was loaded
_numba = None            # the numba module, once loaded
_load_lock = threading.RLock()
_threads_launched = False
PARALLEL_SETTINGS = {}   # filled by launch_parallel_threads, read by show_config


class LazyKernel:
    """A kernel whose Numba dispatcher is made on first use. Calls go to the
    dispatcher; so do attribute reads (`signatures`, `py_func`, ...)."""

    def __init__(self, decorator, options, py_func):
        self._decorator, self._options, self.py_func = decorator, options, py_func
        self._dispatcher = None
        self.__name__, self.__qualname__ = py_func.__name__, py_func.__qualname__
        self.__doc__, self.__module__ = py_func.__doc__, py_func.__module__
        self.__wrapped__ = py_func

    def dispatcher(self):
        if self._dispatcher is None:
            load_numba()
        return self._dispatcher

    def __call__(self, *args, **kwargs):
        return self.dispatcher()(*args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dispatcher(), name)

    def __repr__(self):
        state = "not loaded" if self._dispatcher is None else "loaded"
        return f"<minigrad lazy kernel {self.__qualname__} ({state})>"


class NumbaName:
    """A stand-in for a Numba object used inside kernels (`prange`, `uint64`),
    replaced by the real one when Numba is loaded."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<placeholder for numba.{self.name}>"


prange = NumbaName("prange")
uint64 = NumbaName("uint64")


def _decorator(kind, function, options):
    def decorate(py_func):
        if _numba is not None:
            return getattr(_numba, kind)(**options)(py_func)
        kernel = LazyKernel(kind, options, py_func)
        _kernels.append(kernel)
        return kernel

    return decorate if function is None else decorate(function)


def njit(function=None, **options):
    """numba.njit(**options), made when Numba is first needed."""
    return _decorator("njit", function, options)


def vectorize(function=None, **options):
    """numba.vectorize(**options) (signatures made on first call), made on first use."""
    return _decorator("vectorize", function, options)


def numba_loaded():
    return _numba is not None


def load_numba():
    """Apply minigrad's kernel settings, import Numba, make every lazy kernel real.
    Idempotent and thread-safe; returns the numba module."""
    global _numba
    with _load_lock:
        if _numba is not None:
            return _numba
        from minigrad import _allocator

        _allocator.apply_once()
        import numba

        _ensure_a_cache_location(numba)
        for kernel in _kernels:
            kernel._dispatcher = getattr(numba, kernel._decorator)(**kernel._options)(
                kernel.py_func)
        _numba = numba
        _rebind_minigrad_names(numba)
        return numba


def _rebind_minigrad_names(numba):
    real = {id(kernel): kernel._dispatcher for kernel in _kernels}
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "minigrad" or name.startswith("minigrad.")):
            continue
        namespace = vars(module)
        for attr, value in list(namespace.items()):
            if isinstance(value, LazyKernel) and id(value) in real:
                namespace[attr] = real[id(value)]
            elif isinstance(value, NumbaName):
                namespace[attr] = getattr(numba, value.name)


def launch_parallel_threads():
    """Start Numba's parallel thread pool (the OpenMP layer on Linux) the first time a
    `parallel=True` kernel is about to run, with OMP_WAIT_POLICY=PASSIVE unless the
    user chose a policy. The OpenMP runtime reads the variable once, when it is
    loaded, which is now; the variable is then removed again, so the rest of the
    process (PyTorch's own OpenMP, child processes) never sees it.

    Why passive: OpenMP threads otherwise spin at every barrier, and on a small
    machine a spinning thread can hold the core the last worker needs, so each call
    waits a whole scheduler time slice (show_config reports the choice)."""
    global _threads_launched
    if _threads_launched:
        return
    numba = load_numba()
    with _load_lock:
        if _threads_launched:
            return
        chose = "OMP_WAIT_POLICY" in os.environ
        if not chose:
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        try:
            from numba.np.ufunc import parallel

            parallel._launch_threads()
        finally:
            if not chose:
                del os.environ["OMP_WAIT_POLICY"]
        _threads_launched = True
        policy = os.environ["OMP_WAIT_POLICY"] if chose else "PASSIVE (minigrad's choice)"
        PARALLEL_SETTINGS.update(layer=numba.threading_layer(), omp_wait_policy=policy)


def _writable(directory):
    """Could we create `directory` (or write into it if it exists)?"""
    while not os.path.exists(directory):
        parent = os.path.dirname(directory)
        if parent == directory:
            return False
        directory = parent
    return os.access(directory, os.W_OK | os.X_OK)


def _ensure_a_cache_location(numba):
    """Numba caches next to the source, else in a per-user directory; if neither is
    writable (a read-only install, a read-only home) it would refuse to define the
    kernels, so point it at a per-user temporary directory."""
    from numba.misc.appdirs import user_cache_dir

    if numba.config.CACHE_DIR or _writable(os.path.join(os.path.dirname(__file__),
                                                        "__pycache__")):
        return
    if _writable(user_cache_dir(appname="numba", appauthor=False)):
        return
    user = getattr(os, "getuid", lambda: "user")()
    numba.config.CACHE_DIR = os.path.join(tempfile.gettempdir(), f"minigrad-numba-cache-{user}")
