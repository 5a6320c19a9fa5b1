"""One check per exercise task: ``from gradlab.exercises import check``.

Each check runs your function on hidden cases and prints what it found, in plain words: which
case failed, the shapes involved, expected vs got, and a hint when the mistake is a common one.
A check never raises on a wrong answer (an exception inside your code, a wrong type or shape,
NaN, or a function that takes too long each give a message). It returns a `CheckResult`:
``result.passed``, ``result.not_done``, ``result.message``, ``result.mistake``.

    check.jvp_rule(softplus_jvp)            exercise 1   (function="arctan" for arctan)
    check.vjp_rule(softplus_vjp)
    check.primitive(softplus)
    check.unbroadcast(unbroadcast)          exercise 2
    check.topological_order(topological_order)          exercise 3
    check.backward(backward)
    check.mul(mul)
    check.forward_gradient(forward_gradient)             exercise 4
    check.mean_sq_norm(mean_sq_norm)
    check.init_sg_module(init_sg_module)                 exercise 5
    check.bootstrap_target(bootstrap_target)
    check.sg_update(sg_update)
    check.dni_training(init_sg_module, bootstrap_target, sg_update)
    check.compose_backward(compose_backward)             exercise 6
    check.backward_iterates(backward_iterates)
    check.contraction_factor(contraction_factor)

Every check takes ``quiet=True`` (return the result without printing) and most take
``seed=...``, which adds random cases drawn from that seed (the autograder's hidden tests use it).
"""

from .e1_rules import jvp_rule, primitive, vjp_rule
from .e2_unbroadcast import unbroadcast
from .e3_sweep import backward, mul, topological_order
from .e4_forward_gradient import forward_gradient, mean_sq_norm
from .e5_synthetic import bootstrap_target, dni_training, init_sg_module, sg_update
from .e6_backward_sgd import backward_iterates, compose_backward, contraction_factor

__all__ = ["jvp_rule", "vjp_rule", "primitive", "unbroadcast", "topological_order", "backward",
           "mul", "forward_gradient", "mean_sq_norm", "init_sg_module", "bootstrap_target",
           "sg_update", "dni_training", "compose_backward", "backward_iterates",
           "contraction_factor"]
