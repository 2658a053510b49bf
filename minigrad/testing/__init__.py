"""Tools for checking gradients, for minigrad's own tests and for students' layers."""

from minigrad.testing.gradcheck import gradcheck, gradgradcheck, numerical_gradient, rel_error

__all__ = ["gradcheck", "gradgradcheck", "numerical_gradient", "rel_error"]
