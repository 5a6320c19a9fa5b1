"""gradlab: how gradients are computed and estimated, written from scratch on numpy.

    import gradlab
    import gradlab.numpy as gnp

    gradlab.grad(lambda x: gnp.sum(gnp.sin(x)))(x)      # reverse mode
    gradlab.jvp(f, (x,), (v,))                          # forward mode

Forward mode lives in `gradlab.forward_mode`, reverse mode in `gradlab.reverse_mode`, the
primitives and their derivative rules in `gradlab.numpy`.
"""

from .core import defjvp, defvjp, primitive
from .forward_mode import jvp
from .reverse_mode import vjp
from .transforms import grad, hessian, hvp, jacfwd, jacrev, value_and_grad

__version__ = "0.1.0"

__all__ = ["jvp", "vjp", "grad", "value_and_grad", "jacfwd", "jacrev", "hessian", "hvp",
           "primitive", "defjvp", "defvjp"]
