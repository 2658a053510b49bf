"""Which ops the test suite gradchecks.

Every `Function` defined inside minigrad lands in `minigrad.autograd.OP_REGISTRY`.
Test functions declare the ops they gradcheck with `@gradchecks(OpClass, ...)`;
`tests/test_op_coverage.py` fails when a registered op has no such test.
"""

GRADCHECKED = set()


def gradchecks(*ops):
    """Decorator for a test function: it gradchecks these ops (classes or names)."""
    for op in ops:
        GRADCHECKED.add(op if isinstance(op, str) else op.__name__)

    def mark(test_function):
        return test_function

    return mark
