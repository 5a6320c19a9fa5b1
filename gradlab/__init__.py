"""gradlab: how gradients are computed and estimated, written from scratch on numpy.

    import gradlab
    import gradlab.numpy as gnp

    gradlab.grad(lambda x: gnp.sum(gnp.sin(x)))(x)      # reverse mode
    gradlab.jvp(f, (x,), (v,))                          # forward mode

Where things are (one subpackage per concept; docs/architecture.md has the arrows):

    gradlab/ad/          the AD core: primitives (numpy.py), forward_mode.py, reverse_mode.py,
                         transforms.py (grad, jvp, vjp, hessian, ...), the scalar engines
    gradlab/estimators/  gradient estimators and their error (bias, variance, cosine)
    gradlab/models/      the MLP, the digits data, optimisation test functions
    gradlab/methods/     forward gradients, feedback alignment / synthetic gradients,
                         SG vs BP sample efficiency, backward SGD
    gradlab/plots/, gradlab/widgets/   figures, and the widgets that connect them to the methods
    gradlab/experiments/ the registered experiments behind `gradlab run NAME`
    gradlab/exercises/   homework checks
"""

import sys

from .ad import numpy, testing
from .ad.core import defjvp, defvjp, primitive
from .ad.forward_mode import jvp
from .ad.reverse_mode import vjp
from .ad.transforms import grad, hessian, hvp, jacfwd, jacrev, value_and_grad

# `import gradlab.numpy as gnp` and `from gradlab.testing import check_grads` are the public
# names of gradlab/ad/numpy.py and gradlab/ad/testing.py.
sys.modules[__name__ + ".numpy"] = numpy
sys.modules[__name__ + ".testing"] = testing

__version__ = "0.1.0"

__all__ = ["jvp", "vjp", "grad", "value_and_grad", "jacfwd", "jacrev", "hessian", "hvp",
           "primitive", "defjvp", "defvjp"]
