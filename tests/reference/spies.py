"""Spies for the gate tests: a twin that records its calls, then runs as before."""

from unittest import mock


def spy_on(module, names, calls):
    """A mock.patch.multiple that replaces module.name, for each name, by a wrapper
    appending name to `calls` before calling the original."""

    def recording(name, original):
        def recorded(*args):
            calls.append(name)
            return original(*args)

        return recorded

    return mock.patch.multiple(module, **{name: recording(name, getattr(module, name))
                                          for name in names})
