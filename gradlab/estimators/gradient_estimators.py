"""Every way of getting a gradient, behind one interface: estimate, and what it cost.

    from gradlab.estimators import estimate
    est = estimate("forward", f, x, rng, K=4)       # forward gradient, 4 directions
    est.grad, est.value, est.cost                   # the estimate, f(x), Cost(jvps=4)

Each estimator is a function ``(f, x, rng=None, **options) -> Estimate`` where f maps x (an
array, or a list/tuple/dict of arrays such as an MLP's parameters) to a scalar, and randomness
comes only from the numpy Generator `rng` (the same seed gives the same estimate).

| name          | estimate of ∇f(x)                                   | cost              |
|---------------|-----------------------------------------------------|-------------------|
| "exact"       | reverse mode: one backward sweep                     | 1 VJP             |
| "forward"     | (1/K) Σ_k (∇f·v_k) v_k, v_k Gaussian or Rademacher  | K JVPs            |
| "central-fd"  | (f(x+h e_i) − f(x−h e_i)) / 2h for every coordinate  | 2n evaluations    |
| "random-fd"   | (1/K) Σ_k [(f(x+h v_k) − f(x−h v_k)) / 2h] v_k       | 2K evaluations    |
| "activity"    | activity-perturbed forward gradient (Ren et al.)     | K JVPs (or K·L)   |

The forward gradient (Baydin et al. 2022, *Gradients without Backpropagation*) needs only the
directional derivative ∇f·v, which forward mode computes in the same pass as f: no tape, no
backward sweep. Every JVP here is computed by gradlab's forward mode (`gradlab.jvp`), never by
reverse mode. "random-fd" replaces that JVP by a finite difference along v: the same estimator
without AD (a zeroth-order method), with truncation and rounding error on top of the variance.

Costs count what was run: a JVP includes its evaluation of f, a VJP includes the forward pass
that records the tape, so `value` comes for free with each.

Activity perturbation (Ren, Kornblith, Liao, Hinton 2023, *Scaling Forward Gradient with Local
Losses*): for a layered net (`gradlab.models.mlp.Objective`), perturb every layer's pre-activations
z_l with an independent u per example instead of perturbing the weights. One JVP gives each
example's d_n = Σ_l ∇_{z_l}loss_n · u_{l,n}; then ĝ_{z_l,n} = d_n u_{l,n} and, for z = hW + b,
ĝ_W = mean_n h_{l−1,n}ᵀ ĝ_{z_l,n}. Still unbiased, but the random direction lives in the space of
one layer's units (not fan_in × units weights), and the B examples of the batch bring B
independent directions whose errors average out.

For an `mlp.Objective`, `engine="numpy"` runs the same estimator with the hand-written numpy
passes of `gradlab.models.mlp` instead of our AD engines (the speed floor); the default is
"gradlab".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ad.forward_mode import jvp
from ..ad.transforms import value_and_grad
from ..ad.tree import tree_flatten, tree_map, tree_unflatten
from ..models import mlp as _mlp

DISTRIBUTIONS = ("gaussian", "rademacher")
ENGINES = ("gradlab", "numpy")


# ----------------------------------------------------------------------------------------
# Results and costs.
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cost:
    """What an estimate cost: evaluations of f, forward-mode passes, reverse-mode passes."""

    f_evals: int = 0
    jvps: int = 0
    vjps: int = 0

    def __add__(self, other):
        return Cost(self.f_evals + other.f_evals, self.jvps + other.jvps, self.vjps + other.vjps)

    def __mul__(self, k):
        return Cost(self.f_evals * k, self.jvps * k, self.vjps * k)

    __rmul__ = __mul__

    def in_f_evals(self, r_f=1.0, r_b=1.0):
        """The cost in units of one evaluation of f, if a JVP costs r_f and a VJP r_b."""
        return self.f_evals + r_f * self.jvps + r_b * self.vjps

    def __str__(self):
        names = (("f-eval", self.f_evals), ("JVP", self.jvps), ("VJP", self.vjps))
        parts = [f"{v} {k}{'s' if v != 1 else ''}" for k, v in names if v]
        return ", ".join(parts) or "free"


@dataclass
class Estimate:
    """A gradient estimate (same structure as x), f(x) if it came for free, and the cost."""

    grad: object
    value: float | None
    cost: Cost
    method: str
    info: dict = field(default_factory=dict)


def one_blas_thread():
    """A context limiting BLAS to one thread while it is open.

    The matrices here are small (batch 64, a few hundred units); on a busy machine, BLAS
    threads waiting for each other made them several times slower than one thread, and timings
    erratic. threadpoolctl comes with scikit-learn; without it this does nothing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(1)


# ----------------------------------------------------------------------------------------
# Helpers: flat vectors from nested parameters, random directions.
# ----------------------------------------------------------------------------------------

def ravel(tree):
    """Flatten an array or a nested list/tuple/dict of arrays to (vector, unravel)."""
    leaves, treedef = tree_flatten(tree)
    arrays = [np.asarray(leaf, dtype=float) for leaf in leaves]
    shapes = [a.shape for a in arrays]
    sizes = [a.size for a in arrays]
    vec = np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)

    def unravel(v):
        out, start = [], 0
        for shp, size in zip(shapes, sizes):
            out.append(np.reshape(v[start:start + size], shp))
            start += size
        return tree_unflatten(treedef, out)

    return vec, unravel


def sample_directions(rng, shape, distribution="gaussian"):
    """Random tangent(s) with independent entries of mean 0 and variance 1.

    gaussian: N(0, 1); rademacher: ±1 with probability ½ each. Drawing shape (K, n) gives the
    same numbers as K successive draws of shape (n,) from the same generator.
    """
    if distribution == "gaussian":
        return rng.standard_normal(shape)
    if distribution == "rademacher":
        return np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    raise ValueError(f"distribution must be one of {DISTRIBUTIONS}, got {distribution!r}")


def _sample_like(rng, tree, distribution):
    return tree_map(lambda leaf: sample_directions(rng, np.shape(leaf), distribution), tree)


def _need_rng(rng, method):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"the {method!r} estimator is random: pass rng=np.random.default_rng(seed)"
                        f" (got {type(rng).__name__})")


def _check_k(K):
    if int(K) != K or K < 1:
        raise ValueError(f"K (the number of directions) must be a positive integer, got {K}")
    return int(K)


def _check_engine(engine, f):
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine == "numpy" and not isinstance(f, _mlp.Objective):
        raise TypeError("engine='numpy' uses the hand-written passes of gradlab.models.mlp, so f "
                        "must be a gradlab.models.mlp.Objective")


def _axpy(a, x, y):
    """a·x + y, leaf by leaf."""
    return tree_map(lambda xi, yi: a * xi + yi, x, y)


def _scale(a, x):
    return tree_map(lambda xi: a * xi, x)


# ----------------------------------------------------------------------------------------
# The estimators.
# ----------------------------------------------------------------------------------------

def exact_gradient(f, x, rng=None, engine="gradlab"):
    """The true gradient by reverse mode (one VJP). `rng` is ignored (nothing is random)."""
    _check_engine(engine, f)
    if engine == "numpy":
        value, g = _mlp.np_value_and_grad(x, f.X, f.Y, f.activation)
    else:
        value, g = value_and_grad(f)(x)
    return Estimate(g, float(value), Cost(vjps=1), "exact")


def forward_gradient(f, x, rng, K=1, distribution="gaussian", engine="gradlab"):
    """The forward gradient (1/K) Σ_k (∇f(x)·v_k) v_k: K JVPs by forward mode, no backward pass.

    Unbiased (E[v vᵀ] = I); for Gaussian v its total error E‖g − ∇f‖² is (n+1)‖∇f‖²/K.
    info["directional_derivatives"] holds the K numbers ∇f·v_k.
    """
    _need_rng(rng, "forward")
    K = _check_k(K)
    _check_engine(engine, f)
    total, value, dirs = None, None, []
    for _ in range(K):
        v = _sample_like(rng, x, distribution)
        if engine == "numpy":
            fx, d = _mlp.np_jvp(x, v, f.X, f.Y, f.activation)
        else:
            fx, d = jvp(f, (x,), (v,))
        d = float(d)
        value = float(fx) if value is None else value
        dirs.append(d)
        total = _scale(d, v) if total is None else _axpy(d, v, total)
    return Estimate(_scale(1.0 / K, total), value, Cost(jvps=K), "forward",
                    {"directional_derivatives": np.array(dirs), "distribution": distribution})


def central_difference(f, x, rng=None, h=1e-5):
    """Central finite differences along every coordinate: 2n evaluations of f, no AD at all.

    Error O(h²) from truncation plus O(ε/h) from rounding; `rng` is ignored.
    """
    vec, unravel = ravel(x)
    g = np.empty_like(vec)
    e = np.zeros_like(vec)
    for i in range(vec.size):
        e[i] = h
        g[i] = (float(f(unravel(vec + e))) - float(f(unravel(vec - e)))) / (2 * h)
        e[i] = 0.0
    return Estimate(unravel(g), None, Cost(f_evals=2 * vec.size), "central-fd", {"h": h})


def random_direction_fd(f, x, rng, K=1, distribution="gaussian", h=1e-4):
    """A zeroth-order forward gradient: the JVP replaced by (f(x+hv) − f(x−hv)) / 2h.

    2K evaluations of f. Same variance as the forward gradient, plus a finite-difference bias.
    """
    _need_rng(rng, "random-fd")
    K = _check_k(K)
    vec, unravel = ravel(x)
    total = np.zeros_like(vec)
    for _ in range(K):
        v = ravel(_sample_like(rng, x, distribution))[0]
        d = (float(f(unravel(vec + h * v))) - float(f(unravel(vec - h * v)))) / (2 * h)
        total += d * v
    return Estimate(unravel(total / K), None, Cost(f_evals=2 * K), "random-fd",
                    {"h": h, "distribution": distribution})


def activity_perturbed_gradient(f, x, rng, K=1, distribution="gaussian", layerwise=False,
                                engine="gradlab"):
    """Activity-perturbed forward gradient (Ren et al. 2023) for an MLP objective.

    f: a `gradlab.models.mlp.Objective` (the batch loss of an MLP); x: its parameter list.
    Each example n gets its own random u_{l,n} on every layer's pre-activations z_l; one JVP of
    the per-example losses along them gives d_n, and ĝ_{W_l} = (1/B) Σ_n h_{l−1,n}ᵀ d_n u_{l,n},
    ĝ_{b_l} = (1/B) Σ_n d_n u_{l,n}. layerwise=True perturbs one layer per JVP (L JVPs per
    direction, lower variance: no cross-talk between layers). K directions are averaged.
    """
    _need_rng(rng, "activity")
    K = _check_k(K)
    if not isinstance(f, _mlp.Objective):
        raise TypeError("activity-perturbed gradients need the network's layers: pass f as a "
                        "gradlab.models.mlp.Objective(X, Y, activation)")
    _check_engine(engine, f)
    params, X, Y, act = x, f.X, f.Y, f.activation
    B = X.shape[0]
    units = [params[i].shape[1] for i in range(0, len(params), 2)]
    n_layers = len(units)
    groups = [[l] for l in range(n_layers)] if layerwise else [list(range(n_layers))]
    grads = [np.zeros_like(p) for p in params]
    value, n_jvps = None, 0
    for _ in range(K):
        for group in groups:
            U = [sample_directions(rng, (B, units[l]), distribution) if l in group else None
                 for l in range(n_layers)]
            if engine == "numpy":
                fx, d, inputs = _mlp.np_activity_jvp(params, X, Y, U, act)
            else:
                inputs = []

                def shifted(shifts, group=group, inputs=inputs):
                    full = [None] * n_layers
                    for l, s in zip(group, shifts):
                        full[l] = s
                    del inputs[:]  # keep one set of layer inputs
                    return _mlp.per_example_loss(params, X, Y, act, full, inputs)

                zeros = [np.zeros((B, units[l])) for l in group]
                losses, d = jvp(shifted, (zeros,), ([U[l] for l in group],))
                fx = float(np.mean(losses))
            n_jvps += 1
            value = float(fx) if value is None else value
            for l in group:
                gz = d[:, None] * U[l] / B  # estimate of ∂(mean loss)/∂z_l, example by example
                grads[2 * l] += inputs[l].T @ gz
                grads[2 * l + 1] += gz.sum(axis=0)
    grads = [g / K for g in grads]
    return Estimate(grads, value, Cost(jvps=n_jvps), "activity",
                    {"distribution": distribution, "layerwise": layerwise})


ESTIMATORS = {
    "exact": exact_gradient,
    "forward": forward_gradient,
    "central-fd": central_difference,
    "random-fd": random_direction_fd,
    "activity": activity_perturbed_gradient,
}


def estimate(method, f, x, rng=None, **options):
    """Estimate ∇f(x) with the named method (see ESTIMATORS); returns an `Estimate`."""
    try:
        fn = ESTIMATORS[method]
    except KeyError:
        raise ValueError(f"unknown estimator {method!r}; choose from {list(ESTIMATORS)}") from None
    return fn(f, x, rng, **options)
