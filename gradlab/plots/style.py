"""One place for the colours and names every figure uses: change a method's colour here.

Colours follow matplotlib's default cycle ("tab:" names) so that figures look like any other
matplotlib figure; a method keeps its colour in every notebook. Formulas in labels use
matplotlib's mathtext (r"$\\nabla f$").
"""

from __future__ import annotations

# gradient methods and error signals (notebooks 04-07)
COLORS = {
    "backprop": "tab:blue",
    "bp": "tab:blue",
    "bp + baseline": "tab:cyan",
    "forward gradient": "tab:orange",
    "forward K=1": "tab:orange",
    "forward K=4": "gold",
    "activity": "tab:green",
    "fa": "tab:green",
    "dfa": "yellowgreen",
    "kickback": "tab:purple",
    "dni": "tab:red",
    "cdni": "tab:orange",
    "sg": "tab:red",
    "mix": "tab:purple",
    "frozen": "tab:gray",
    # a pipeline's schedule (notebook 05)
    "forward pass": "tab:blue",
    "backward pass": "tab:orange",
    # finite differences and forward mode (notebook 01)
    "f": "0.2",
    "jvp": "tab:purple",
    "forward difference": "tab:orange",
    "central difference": "tab:green",
    # the two sweeps (notebooks 02, 03)
    "forward mode": "tab:blue",
    "reverse mode": "tab:orange",
    "reverse mode, filled": "#f4a259",  # a node's band once its adjoint is known
    "forward mode, filled": "#8fb8de",  # ... once its tangent is known
    # the cost of derivatives (notebook 03)
    "ratio": "tab:purple",
    "finite differences": "tab:red",
    "hvp": "tab:green",
    "hessian": "tab:purple",
    # iteration order (notebook 07, whose text calls forward SGD orange and backward SGD blue)
    "forward sgd": "tab:orange",
    "backward sgd": "tab:blue",
    "windowed sgd": "tab:green",
    "theory": "0.4",
}

OTHERS = ["tab:brown", "tab:pink", "tab:olive", "tab:cyan", "tab:gray"]


def color(name, i=0):
    """The colour of `name` (case-insensitive), or the i-th spare colour for a name not listed."""
    return COLORS.get(name) or COLORS.get(str(name).lower(), OTHERS[i % len(OTHERS)])
