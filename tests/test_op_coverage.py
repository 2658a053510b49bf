"""Every differentiable op in minigrad must have a gradcheck test and be written in
the static form the README teaches (`@staticmethod forward(ctx, ...)`)."""

import importlib
import pathlib

import minigrad  # noqa: F401  (registers the core ops)
from minigrad.autograd import OP_REGISTRY, Function
from minigrad.testing.coverage import GRADCHECKED

TESTS = pathlib.Path(__file__).parent


def _import_every_test_module():
    for path in sorted(TESTS.rglob("test_*.py")):
        module = ".".join(("tests",) + path.relative_to(TESTS).with_suffix("").parts)
        importlib.import_module(module)


def _import_every_package_module():
    package = pathlib.Path(minigrad.__file__).parent
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        course_material = parts[:3] == ("minigrad", "assign", "course")  # students' code
        if parts[-1] in ("__main__",) or "lectures" in parts or course_material:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        try:
            importlib.import_module(name)
        except ImportError as error:  # optional extras (mpi4py, torch) may be absent
            if "mpi4py" not in str(error) and "torch" not in str(error):
                raise


def test_every_registered_op_is_gradchecked():
    _import_every_package_module()
    _import_every_test_module()
    missing = sorted(set(OP_REGISTRY) - GRADCHECKED)
    assert not missing, f"ops without a gradcheck test: {missing}"


def test_registry_sees_the_core_ops():
    for name in ("Add", "Mul", "MatMul", "Sum", "Reshape", "GetItem", "Exp"):
        assert name in OP_REGISTRY


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def test_every_op_in_the_package_is_in_the_static_form():
    _import_every_package_module()
    ops = {cls for cls in _subclasses(Function) if cls.__module__.startswith("minigrad.")}
    plain = sorted(f"{cls.__module__}.{cls.__qualname__}.{name}"
                   for cls in ops for name in ("forward", "backward")
                   if name in cls.__dict__ and not isinstance(cls.__dict__[name], staticmethod))
    assert len(ops) > 50  # the walk found the ops (private ones included)
    assert not plain, f"write these as @staticmethod (ctx, ...), as the README teaches: {plain}"
