"""Reference mode's switch: context manager, decorator, set/is, and MINIGRAD_REFERENCE."""

import os
import subprocess
import sys

import pytest

import minigrad as mg


def test_context_manager_nests_and_restores():
    assert not mg.is_reference_mode()
    with mg.reference_mode():
        assert mg.is_reference_mode() and mg.reference_mode_enabled()
        with mg.reference_mode(False):
            assert not mg.is_reference_mode()
        assert mg.is_reference_mode()
    assert not mg.is_reference_mode()


def test_restored_after_an_exception():
    with pytest.raises(RuntimeError), mg.reference_mode():
        raise RuntimeError("inside")
    assert not mg.is_reference_mode()


def test_decorator_with_and_without_call():
    @mg.reference_mode
    def bare():
        return mg.is_reference_mode()

    @mg.reference_mode()
    def called():
        return mg.is_reference_mode()

    assert bare() and called() and bare.__name__ == "bare"
    assert not mg.is_reference_mode()


def test_set_reference_mode():
    try:
        mg.set_reference_mode(True)
        assert mg.is_reference_mode()
    finally:
        mg.set_reference_mode(False)
    assert not mg.is_reference_mode()


@pytest.mark.parametrize("value, expected", [("1", "True"), ("0", "False"), ("", "False")])
def test_environment_variable_is_read_at_import(value, expected):
    env = dict(os.environ, MINIGRAD_REFERENCE=value)
    result = subprocess.run([sys.executable, "-c",
                             "import minigrad as mg; print(mg.is_reference_mode())"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == expected, result.stderr
