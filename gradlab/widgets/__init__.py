"""Interactive explorers for the notebooks: each connects controls to a compute and a draw function.

    import gradlab.widgets
    gradlab.widgets.forward_mode_explorer()

Each topic has its own module; the builders are collected here.
"""

from .backward_sgd import backward_sgd_explorer, digits_order_explorer  # noqa: F401
from .base import Explorer, render_png  # noqa: F401
from .cost import jacobian_cost_explorer  # noqa: F401
from .forward_gradient import (  # noqa: F401
    beale_rosenbrock_explorer,
    digits_training_explorer,
    forward_gradient_cosine_explorer,
)
from .forward_mode import forward_mode_explorer  # noqa: F401
from .reverse_mode import reverse_sweep_stepper  # noqa: F401
from .sample_efficiency import bandit_learning_explorer, sg_vs_bp_explorer  # noqa: F401
from .synthetic_gradients import feedback_explorer, pipeline_explorer, sg_module_explorer  # noqa: F401
