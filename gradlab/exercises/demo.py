"""The experiments of the exercises, run with the student's functions: never raise.

    demo.norm_ratio_table(forward_gradient, mean_sq_norm)       exercise 4: E‖g‖²/‖∇f‖² vs n + 2
    results = demo.compare_training(init, bootstrap, update)     exercise 5: frozen / DNI / backprop
    demo.draw_training(fig, results)
    run = demo.contraction_run(compose_backward, backward_iterates)   exercise 6
    demo.draw_contraction(fig, run)

Where the student's functions are not written yet, each prints "not done yet" and shows what
it can without them.
"""

from .e4_forward_gradient import norm_ratio_table
from .e5_synthetic import compare_training, draw_training, train_dni
from .e6_backward_sgd import contraction_run, draw_contraction

__all__ = ["norm_ratio_table", "compare_training", "draw_training", "train_dni",
           "contraction_run", "draw_contraction"]
