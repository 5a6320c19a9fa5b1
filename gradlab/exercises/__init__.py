"""Homework exercises with immediate feedback: ``from gradlab.exercises import check, demo``.

The six exercise notebooks (notebooks/exercises/) each ask for a few functions; `check` runs
them on hidden cases and says, in plain words, what is right or wrong (see `check`'s docstring),
and `demo` runs the exercise's experiment with them. `runner` holds the safe-call helpers
(timeouts, exceptions, NaN, wrong types become messages, never tracebacks).

| # | exercise                                   | checks                                         |
|---|--------------------------------------------|------------------------------------------------|
| 1 | JVP and VJP rules for softplus and arctan  | jvp_rule, vjp_rule, primitive                  |
| 2 | unbroadcast                                | unbroadcast                                    |
| 3 | the reverse sweep of the scalar engine     | topological_order, backward, mul               |
| 4 | the forward gradient, E‖g‖² = (n+2)‖∇f‖²   | forward_gradient, mean_sq_norm                 |
| 5 | a synthetic-gradient module (DNI)          | init_sg_module, bootstrap_target, sg_update,   |
|   |                                            | dni_training                                   |
| 6 | backward SGD's composition and contraction | compose_backward, backward_iterates,           |
|   |                                            | contraction_factor                             |

gradlab itself implements what several exercises ask for (gradlab.numpy.unbroadcast,
gradlab.ad.scalar_reverse, gradlab.estimators.forward_gradient, gradlab.methods.synthetic_gradients,
gradlab.methods.backward_sgd): the checks compare the student's answers against those.
"""

from . import check, demo
from .runner import CheckResult

__all__ = ["check", "demo", "CheckResult"]
