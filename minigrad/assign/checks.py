"""What an assignment's test files use: tag a test with its task, compare in words.

    from minigrad.assign.checks import task, assert_close, gradcheck

    @task("2.3")
    def test_conv2d_matches_loops():
        assert_close(layers.Conv2d.apply(x, w), loops(x, w), "conv2d output")

Every helper fails with an AssertionError whose first line a student can act on:
what was compared, where it differs, the value given and the value expected.
"""

import numpy as np

__all__ = ["task", "assert_close", "assert_shape", "assert_raises", "gradcheck", "as_array"]


def task(task_id):
    """Mark a test function as one of task `task_id`'s tests."""
    def mark(function):
        function.task_id = str(task_id)
        return function
    return mark


def as_array(value):
    """A Tensor, array, list or scalar as a float64-or-native NumPy array."""
    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    return np.asarray(value)


def assert_shape(actual, shape, what):
    actual = as_array(actual)
    if tuple(actual.shape) != tuple(shape):
        raise AssertionError(f"{what}: shape {tuple(actual.shape)}, expected {tuple(shape)}")


def assert_close(actual, expected, what, rtol=1e-5, atol=1e-8):
    """|actual - expected| <= atol + rtol |expected| everywhere, or a message in words."""
    if actual is None:
        raise AssertionError(f"{what}: got None, expected an array of shape "
                             f"{np.shape(as_array(expected))}")
    actual, expected = as_array(actual), as_array(expected)
    assert_shape(actual, expected.shape, what)
    actual64, expected64 = actual.astype(np.float64), expected.astype(np.float64)
    bad = ~np.isclose(actual64, expected64, rtol=rtol, atol=atol, equal_nan=False)
    if bad.any():
        index = np.unravel_index(np.argmax(bad), bad.shape) if bad.ndim else ()
        where = f" at index {tuple(int(i) for i in index)}" if index else ""
        error = np.max(np.abs(actual64 - expected64)[bad])
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} values differ; first{where}: got "
            f"{actual64[index]:.6g}, expected {expected64[index]:.6g} (largest difference "
            f"{error:.3g}, tolerance rtol={rtol:g}, atol={atol:g})")


def assert_raises(exception, function, *args, what="the call", **kwargs):
    """function(*args, **kwargs) must raise `exception`."""
    try:
        function(*args, **kwargs)
    except exception:
        return
    raise AssertionError(f"{what} should raise {exception.__name__}, and did not")


def gradcheck(function, inputs, what, **tolerances):
    """mg.gradcheck(function, inputs), its failure message prefixed with `what`."""
    import minigrad as mg

    try:
        mg.gradcheck(function, inputs, **tolerances)
    except mg.GradcheckError as exc:
        raise AssertionError(f"{what}: {exc}") from None
