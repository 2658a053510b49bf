"""Where minigrad's output goes: a terminal, or a Jupyter notebook."""

import sys

__all__ = ["in_notebook"]


def in_notebook():
    """True inside a Jupyter kernel (where stderr is no terminal, yet a person watches)."""
    shell = sys.modules.get("IPython")
    if shell is None or not hasattr(shell, "get_ipython"):
        return False
    ipython = shell.get_ipython()
    return ipython is not None and hasattr(ipython, "kernel")
