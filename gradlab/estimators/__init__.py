"""Gradient estimators and how wrong they are.

    gradient_estimators.py  one `estimate(method, f, x, rng)` for every estimator: exact (reverse
                            mode), forward gradient, finite differences, activity perturbation
    gradient_error.py       bias, variance, MSE and cosine by resampling, and their closed forms
    finite_differences.py   the finite-difference error curve (truncation vs round-off)
"""

from .gradient_estimators import ESTIMATORS, estimate, forward_gradient

__all__ = ["ESTIMATORS", "estimate", "forward_gradient"]
