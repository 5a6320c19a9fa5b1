"""Where does a layer's error signal come from? Backprop, FA, DFA, kickback, DNI and cDNI.

A small layered dense network, aᵢ = hᵢ₋₁ Wᵢ + bᵢ, hᵢ = φ(aᵢ) (rows are examples; the output
layer L has no φ: its aₗ are the logits), trained by any of six rules switched by one argument.
Each rule produces every layer's error signal

    δᵢ = ∂L/∂aᵢ   — with respect to the **pre-activation** aᵢ (not hᵢ; δᵢ = φ′(aᵢ) ⊙ ∂L/∂hᵢ),

or its stand-in, and every rule then updates the weights the same way, ΔWᵢ = −η hᵢ₋₁ᵀ δᵢ / batch.
With e = δₗ = ∂ℓ/∂aₗ the output error (softmax − one-hot for cross-entropy), the rules are

| method     | δᵢ for a hidden layer i                                                     |
|------------|-----------------------------------------------------------------------------|
| "backprop" | (δᵢ₊₁ Wᵢ₊₁ᵀ) ⊙ φ′(aᵢ)                                     (exact reference)  |
| "fa"       | (δᵢ₊₁ Bᵢ₊₁) ⊙ φ′(aᵢ), Bᵢ₊₁ fixed random, shaped like Wᵢ₊₁ᵀ  (Lillicrap 2016) |
| "dfa"      | (e Dᵢ) ⊙ φ′(aᵢ), Dᵢ fixed random (n_out × nᵢ)                   (Nøkland 2016) |
| "kickback" | e · κᵢ ⊙ φ′(aᵢ), κᵢ = φ′(aᵢ₊₁) Wᵢ₊₁ᵀ: each unit's influence, the sum of its   |
|            | outgoing weights to units active above (Balduzzi et al. 2015). **Scalar output|
|            | only** (regression or binary): e must be one number per example. We do not   |
|            | invent a multi-class version; `train` raises if the output has > 1 unit.     |
| "dni"      | ĝᵢ ⊙ φ′(aᵢ), ĝᵢ = Mᵢ(hᵢ) a learnt synthetic gradient (every layer decoupled)  |
| "cdni"     | as "dni" but Mᵢ(hᵢ, y) also sees the training target (one-hot label)         |
| "frozen"   | 0: the control, only the output layer learns (by backprop); the hidden layers |
|            | keep their initial weights. What the top layer alone makes of random features.|

FA, DFA and kickback are synthetic gradients produced by a *fixed* map (Czarnecki et al. 2017;
`fixed_map_sg` writes each one as such a module). "frozen" is not a learning rule but the
baseline every alignment or accuracy comparison needs: without it, good accuracy may be the top
layer's alone.
For DNI/cDNI (see `gradlab.methods.synthetic_gradients`) each hidden layer has a module Mᵢ,
linear (the ablation) or an MLP (Jaderberg et al.'s), zero-initialised last layer, trained by
regression on the true
gradient at the top hidden layer and on the bootstrapped target (Mᵢ₊₁'s gradient pushed back through
layer i+1) below (`bootstrap=False` regresses every module on the true gradient instead).
`lam` blends: the gradient layer i uses is λ·ĝᵢ + (1 − λ)·∂L/∂hᵢ (λ = 1: pure DNI, 0: backprop).
`update_prob` p updates each hidden layer with probability p per step (Jaderberg's stochastic
updates). The decoupled updates are *simulated* synchronously: every layer's signal is
computed at the same parameters, then all layers update; `gradlab.experiments.synthetic_gradients`
also runs a real concurrent pipeline.

**Alignment.** Every step, every method also computes backprop's δᵢ at the same parameters and
reports, per layer, the cosine and the relative error ‖δᵢ − δᵢᴮᴾ‖/‖δᵢᴮᴾ‖ of its error signal
(over the whole batch) and of its weight update hᵢ₋₁ᵀδᵢ (the raw gradient estimate handed to the
optimiser, before Adam rescales it) — the "gradient error" the notebooks plot. A signal of norm
zero (a zero-initialised module at step 0) has cosine 0 by convention.

**BatchNorm** (`batchnorm=True`, Jaderberg et al.'s Linear→BatchNorm→ReLU hidden layers):
zᵢ = hᵢ₋₁Wᵢ, aᵢ = BN(zᵢ), hᵢ = φ(aᵢ). Then δᵢ means ∂L/∂zᵢ, the signal the weights need:
every rule's signal at aᵢ goes through BN's backward pass (`gradlab.models.batchnorm`), and
BN's γ, β learn from the signal at aᵢ. Without BN, zᵢ = aᵢ and nothing changes.

**How backprop is computed.** With hand-written layer rules (the table's first row and the
softmax/MSE output errors), not with `gradlab.grad`. The rules are the thing being taught —
every other method is a one-line edit of them — and training needs each δᵢ separately, the
alignment metrics need backprop's δᵢ beside another method's at every step, and numpy matrix
products are much faster than recording a tape. tests/test_feedback.py checks them against
our reverse-mode engine (`gradlab.grad` of the same loss with respect to every Wᵢ, bᵢ and aᵢ).
"""

from __future__ import annotations

import numpy as np

from ..models.batchnorm import (
    batchnorm_backward,
    batchnorm_eval,
    batchnorm_forward,
    init_batchnorm,
    update_running_stats,
)
from .synthetic_gradients import Optimizer, SyntheticGradient, mix

METHODS = ("backprop", "fa", "dfa", "kickback", "dni", "cdni")
CONTROLS = ("frozen",)  # only the output layer learns: the baseline beside every comparison
LOSSES = ("softmax_ce", "binary_ce", "mse")


# ----------------------------------------------------------------------------------------
# Activations: φ and φ′ as functions of the pre-activation a
# ----------------------------------------------------------------------------------------

def _sigmoid(a):
    return 0.5 * (np.tanh(0.5 * a) + 1.0)


ACTIVATIONS = {
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(a.dtype)),
    "tanh": (np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
    "sigmoid": (_sigmoid, lambda a: _sigmoid(a) * (1.0 - _sigmoid(a))),
    "linear": (lambda a: a, lambda a: np.ones_like(a)),
}
_GAIN = {"relu": np.sqrt(2.0), "tanh": 1.0, "sigmoid": 1.0, "linear": 1.0}


def activation(name):
    """(φ, φ′) for an activation name."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose from {tuple(ACTIVATIONS)}") from None


# ----------------------------------------------------------------------------------------
# The network: initialise, forward, loss
# ----------------------------------------------------------------------------------------

def init_layers(sizes, rng, act="relu", bias=True, batchnorm=False):
    """Weights for layer sizes [n₀, n₁, ..., n_L]: Wᵢ ~ N(0, gain²/nᵢ₋₁), bᵢ = 0; with
    batchnorm, each hidden layer gets BN parameters ("bn") and no bias (BN's β replaces it)."""
    gain = _GAIN[act]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layer = {"W": rng.normal(0.0, gain / np.sqrt(n_in), (n_in, n_out))}
        hidden = i < len(sizes) - 2
        if batchnorm and hidden:
            layer["bn"] = init_batchnorm(n_out)
        elif bias:
            layer["b"] = np.zeros(n_out)
        layers.append(layer)
    return layers


def forward(layers, x, act="relu", caches=None):
    """Run the network. Returns (a, h): a[i] is layer i+1's pre-activation; h[0] = x and
    h[i+1] = φ(a[i]), except at the output layer, which has no φ: h[-1] = a[-1] (the logits).

    BatchNorm layers use the batch's statistics when `caches` is a list (training: one BN cache
    per layer is appended, None for layers without BN), the running ones otherwise (test time).
    """
    phi = activation(act)[0]
    a, h = [], [x]
    for i, layer in enumerate(layers):
        z = h[-1] @ layer["W"]
        if "b" in layer:
            z = z + layer["b"]
        cache = None
        if "bn" in layer:
            bn = layer["bn"]
            if caches is None:
                z = batchnorm_eval(z, bn)
            else:
                z, cache = batchnorm_forward(z, bn["gamma"], bn["beta"])
        if caches is not None:
            caches.append(cache)
        a.append(z)
        h.append(z if i == len(layers) - 1 else phi(z))
    return a, h


def output_error(logits, y, loss="softmax_ce"):
    """(mean loss, e): e[n] = ∂ℓₙ/∂logitsₙ per example (no 1/batch), for a mean loss L = mean ℓₙ.

    softmax_ce: y one-hot, e = softmax − y;  binary_ce: y in {0,1} of shape (n,1), e = σ − y;
    mse: ℓ = ½‖logits − y‖², e = logits − y.
    """
    if loss == "softmax_ce":
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-np.mean(np.sum(y * logp, axis=1))), np.exp(logp) - y
    if loss == "binary_ce":
        value = np.mean(np.logaddexp(0.0, logits) - y * logits)
        return float(value), _sigmoid(logits) - y
    if loss == "mse":
        r = logits - y
        return float(0.5 * np.mean(np.sum(r * r, axis=1))), r
    raise ValueError(f"unknown loss {loss!r}; choose from {LOSSES}")


def network_loss(layers, x, y, act="relu", loss="softmax_ce"):
    """The mean loss of the network on (x, y)."""
    return output_error(forward(layers, x, act)[1][-1], y, loss)[0]


def error_rate(logits, y, loss="softmax_ce"):
    """Fraction misclassified (softmax: argmax; binary: sign of the logit); NaN for mse."""
    if loss == "softmax_ce":
        return float(np.mean(logits.argmax(axis=1) != y.argmax(axis=1)))
    if loss == "binary_ce":
        return float(np.mean((logits[:, 0] > 0) != (y[:, 0] > 0.5)))
    return float("nan")


# ----------------------------------------------------------------------------------------
# Error signals δᵢ = ∂L/∂aᵢ: one function per fixed rule
# ----------------------------------------------------------------------------------------

def local_delta(g, a_i, act="relu", cache=None):
    """From gᵢ = ∂L/∂hᵢ (or its stand-in) to layer i's δᵢ: gᵢ ⊙ φ′(aᵢ), then through BN's backward
    pass if the layer has one (`cache` from `forward`; BN's ∂γ, ∂β are stored in it)."""
    d = g if act == "linear" else g * activation(act)[1](a_i)
    if cache is None:
        return d
    d, dgamma, dbeta = batchnorm_backward(d, cache)
    n = d.shape[0]
    cache["dgamma"], cache["dbeta"] = dgamma / n, dbeta / n  # of the mean loss
    return d


def _cache(caches, i):
    return None if caches is None else caches[i]


def backprop_deltas(layers, a, e, act="relu", caches=None):
    """Exact δᵢ, from the top: δₗ = e, δᵢ = (δᵢ₊₁ Wᵢ₊₁ᵀ) ⊙ φ′(aᵢ) (then BN's backward, if any)."""
    deltas = [e]
    for i in range(len(layers) - 2, -1, -1):
        deltas.insert(0, local_delta(deltas[0] @ layers[i + 1]["W"].T, a[i], act,
                                     _cache(caches, i)))
    return deltas


def fa_deltas(feedback, a, e, act="relu", caches=None):
    """Feedback alignment: δᵢ = (δᵢ₊₁ Bᵢ₊₁) ⊙ φ′(aᵢ); Bᵢ₊₁ = feedback[i+1], fixed, like Wᵢ₊₁ᵀ."""
    deltas = [e]
    for i in range(len(a) - 2, -1, -1):
        deltas.insert(0, local_delta(deltas[0] @ feedback[i + 1], a[i], act, _cache(caches, i)))
    return deltas


def dfa_deltas(feedback, a, e, act="relu", caches=None):
    """Direct feedback alignment: δᵢ = (e Dᵢ) ⊙ φ′(aᵢ), Dᵢ = feedback[i] fixed (n_out × nᵢ)."""
    return [local_delta(e @ feedback[i], a[i], act, _cache(caches, i))
            for i in range(len(a) - 1)] + [e]


def kickback_deltas(layers, a, e, act="relu"):
    """Kickback (scalar output): δᵢ = e · κᵢ ⊙ φ′(aᵢ), κᵢ = φ′(aᵢ₊₁) Wᵢ₊₁ᵀ (φ′ = 1 at the output).

    κᵢ,ⱼ is unit j's influence: the sum of its outgoing weights to units of layer i+1 that are
    active (for ReLU, φ′ ∈ {0, 1}). For the last hidden layer this *is* backprop; below it,
    kickback drops the products of weights along longer paths.
    """
    if e.shape[1] != 1:
        raise ValueError("kickback is defined for a single (scalar) output; this network has "
                         f"{e.shape[1]} outputs. Use a regression or binary task.")
    dphi = activation(act)[1]
    return [e * kappa * dphi(a[i])
            for i, kappa in enumerate(kickback_influence(layers, a, act))] + [e]


def kickback_influence(layers, a, act="relu"):
    """κᵢ = φ′(aᵢ₊₁) Wᵢ₊₁ᵀ per hidden layer i (per example): each unit's summed outgoing weight
    to the units active above it (φ′ = 1 at the output)."""
    dphi = activation(act)[1]
    n = len(layers)
    return [(dphi(a[i + 1]) if i + 1 < n - 1 else np.ones_like(a[i + 1])) @ layers[i + 1]["W"].T
            for i in range(n - 1)]


def kickback_coherence(layers, a, act="relu"):
    """Per hidden layer, the fraction of active units (φ′(aᵢ) > 0, over the batch) whose
    influence κ is positive — our reading of Balduzzi et al.'s coherence condition (when every
    active unit's influence is positive, kickback's δ has the sign of backprop's). 1 = coherent."""
    dphi = activation(act)[1]
    out = []
    for i, kappa in enumerate(kickback_influence(layers, a, act)):
        active = dphi(a[i]) > 0
        out.append(float(np.mean(kappa[active] > 0)) if active.any() else float("nan"))
    return np.array(out)


def fixed_map_sg(method, layers, a, e, feedback=None, act="relu"):
    """FA, DFA and kickback as synthetic-gradient modules with *fixed* parameters (Czarnecki et
    al. 2017, §5): ĝᵢ = sg_predict(params, input, context) with a linear module whose weights are
    set, not learnt. DFA: input e, A = Dᵢ. FA: input δᵢ₊₁ (the signal above), A = Bᵢ₊₁.
    Kickback: input e ⊗ φ′(aᵢ₊₁) (the error on the active units above), A = Wᵢ₊₁ᵀ.
    Returns the δᵢ these modules give; they equal dfa_deltas / fa_deltas / kickback_deltas."""
    from .synthetic_gradients import sg_predict

    dphi = activation(act)[1]
    n = len(a)
    deltas = [None] * (n - 1) + [e]
    for i in range(n - 2, -1, -1):
        if method == "dfa":
            params, x = {"A": feedback[i], "b": np.zeros(a[i].shape[1])}, e
        elif method == "fa":
            params, x = {"A": feedback[i + 1], "b": np.zeros(a[i].shape[1])}, deltas[i + 1]
        elif method == "kickback":
            above = dphi(a[i + 1]) if i + 1 < n - 1 else np.ones_like(a[i + 1])
            params = {"A": layers[i + 1]["W"].T, "b": np.zeros(a[i].shape[1])}
            x = e * above
        else:
            raise ValueError(f"fixed_map_sg covers 'fa', 'dfa', 'kickback', not {method!r}")
        deltas[i] = sg_predict(params, x) * dphi(a[i])
    return deltas


def weight_grads(h, deltas):
    """The update each layer gets from its δ: (∂W, ∂b) = (hᵢ₋₁ᵀ δᵢ / batch, mean δᵢ)."""
    n = h[0].shape[0]
    return [(h[i].T @ d / n, d.mean(axis=0)) for i, d in enumerate(deltas)]


def cosine(u, v):
    """cos∠(u, v) over all entries; 0 when either is zero (a zero signal has no direction)."""
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0 or not (np.isfinite(nu) and np.isfinite(nv)):
        return 0.0 if (np.isfinite(nu) and np.isfinite(nv)) else float("nan")
    return float(np.sum(u * v) / (nu * nv))


def relative_error(u, ref):
    """‖u − ref‖ / ‖ref‖ (NaN when ref is zero)."""
    nr = np.linalg.norm(ref)
    return float(np.linalg.norm(u - ref) / nr) if nr > 0 else float("nan")


def alignment(deltas, ref_deltas, grads, ref_grads):
    """Per layer: cosine and relative error of δᵢ and of the weight update against the reference."""
    return {
        "cos_delta": np.array([cosine(d, r) for d, r in zip(deltas, ref_deltas)]),
        "relerr_delta": np.array([relative_error(d, r) for d, r in zip(deltas, ref_deltas)]),
        "cos_update": np.array([cosine(g[0], r[0]) for g, r in zip(grads, ref_grads)]),
        "relerr_update": np.array([relative_error(g[0], r[0]) for g, r in zip(grads, ref_grads)]),
    }


# ----------------------------------------------------------------------------------------
# One interface: a network plus the rule that gives its layers their error signals
# ----------------------------------------------------------------------------------------

class FeedbackNetwork:
    """A dense network trained by one of METHODS; `step(x, y)` trains on a batch and reports.

        net = FeedbackNetwork([64, 256, 256, 256, 10], "cdni", rng)
        info = net.step(x_batch, y_batch)   # loss, alignment per layer, SG regression losses

    sizes: [n_in, hidden..., n_out]; method: one of METHODS or CONTROLS; act: hidden activation;
    loss: "softmax_ce" | "binary_ce" | "mse"; lr, optimizer: for the network ("adam" or "sgd");
    batchnorm: Linear→BatchNorm→φ hidden layers; sg_kind ("linear" | "mlp"),
    sg_hidden (an MLP module's width or tuple of widths), sg_lr, bootstrap, lam: the
    synthetic-gradient modules (dni/cdni only);
    decoupled: which hidden layers (numbered 1..depth) get a module (default: every one; the
    layers between modules get backprop from the module above them);
    update_prob: each hidden layer updates with this probability per step (here only the
    optimiser step is skipped — the signals are still computed for the metrics; the pipeline
    in `gradlab.methods.synthetic_gradients.run_decoupled` skips the work itself).
    """

    def __init__(self, sizes, method, rng, act="relu", loss="softmax_ce", lr=1e-3,
                 optimizer="adam", momentum=0.0, bias=True, sg_kind="linear", sg_hidden=64,
                 sg_lr=1e-3, sg_optimizer="adam", bootstrap=True, lam=1.0, update_prob=1.0,
                 feedback_scale=1.0, decoupled=None, batchnorm=False):
        if method not in METHODS + CONTROLS:
            raise ValueError(f"unknown method {method!r}; choose from {METHODS + CONTROLS}")
        if method == "kickback" and sizes[-1] != 1:
            raise ValueError("kickback needs a single output (a scalar regression or binary "
                             f"task); got {sizes[-1]} outputs")
        if method == "kickback" and batchnorm:
            raise ValueError("kickback is defined for plain layers; batchnorm=True is not "
                             "supported with it")
        self.sizes, self.method, self.act, self.loss = list(sizes), method, act, loss
        self.rng = rng
        self.lam, self.bootstrap, self.update_prob = float(lam), bootstrap, float(update_prob)
        self.layers = init_layers(sizes, rng, act, bias, batchnorm)
        self.opts = [Optimizer({k: v for k, v in layer.items() if k != "bn"}, lr, optimizer,
                               momentum) for layer in self.layers]
        self.bn_opts = [Optimizer(layer["bn"], lr, optimizer, momentum) if "bn" in layer
                        else None for layer in self.layers]
        gain = _GAIN[act] * feedback_scale
        self.feedback = None
        if method == "fa":  # feedback[i] stands in for W_iᵀ (shape n_i × n_{i-1}); [0] unused
            self.feedback = [None] + [rng.normal(0.0, gain / np.sqrt(n_in), (n_out, n_in))
                                      for n_in, n_out in zip(sizes[1:-1], sizes[2:])]
        elif method == "dfa":  # feedback[i]: output error → hidden layer i (n_out × n_i)
            self.feedback = [rng.normal(0.0, gain / np.sqrt(sizes[-1]), (sizes[-1], n))
                             for n in sizes[1:-1]]
        self.modules = None  # hidden-layer index (0-based) → its synthetic-gradient module
        if method in ("dni", "cdni"):
            context = sizes[-1] if method == "cdni" else 0
            chosen = range(1, len(sizes) - 1) if decoupled is None else decoupled
            for k in chosen:
                if not 1 <= k <= len(sizes) - 2:
                    raise ValueError(f"decoupled layers are numbered 1..{len(sizes) - 2}, got {k}")
            self.modules = {k - 1: SyntheticGradient(sizes[k], rng, sg_kind, context, sg_hidden,
                                                     sg_lr, sg_optimizer)
                            for k in sorted(set(chosen))}

    @property
    def depth(self):
        """Number of hidden layers."""
        return len(self.sizes) - 2

    def predict(self, x):
        """The logits (BatchNorm with its running statistics)."""
        return forward(self.layers, x, self.act)[1][-1]

    def hidden(self, x):
        """The hidden layers' activations h₁ … h_depth on x (test-time mode)."""
        return forward(self.layers, x, self.act)[1][1:-1]

    def evaluate(self, x, y):
        """(mean loss, error rate) on (x, y)."""
        with np.errstate(all="ignore"):
            logits = self.predict(x)
            return output_error(logits, y, self.loss)[0], error_rate(logits, y, self.loss)

    def signals(self, x, y, reference=True):
        """Everything one step computes, without updating: forward pass, δs and updates, and
        (if `reference`, or if the method needs it) backprop's δs and updates beside them."""
        caches = []
        a, h = forward(self.layers, x, self.act, caches)
        value, e = output_error(h[-1], y, self.loss)
        m = self.method
        needs_true = self.modules is not None and (self.lam != 1.0 or not self.bootstrap)
        if reference or needs_true or m in ("backprop", "frozen"):
            # the reference pass must not overwrite the rule's BN gradients: its own caches
            ref_caches = [None if c is None else dict(c) for c in caches]
            ref = backprop_deltas(self.layers, a, e, self.act,
                                  caches if m == "backprop" else ref_caches)
        else:
            ref = None
        out = {"loss": value, "a": a, "h": h, "e": e, "ref_deltas": ref, "caches": caches}
        if m == "backprop":
            deltas = ref
        elif m == "frozen":  # only the output layer gets a signal
            deltas = [np.zeros_like(ai) for ai in a[:-1]] + [e]
        elif m == "fa":
            deltas = fa_deltas(self.feedback, a, e, self.act, caches)
        elif m == "dfa":
            deltas = dfa_deltas(self.feedback, a, e, self.act, caches)
        elif m == "kickback":
            deltas = kickback_deltas(self.layers, a, e, self.act)
        else:
            deltas = self._sg_deltas(a, h, e, y, ref, out)
        out["deltas"] = deltas
        out["grads"] = weight_grads(h, deltas)
        if m == "backprop":
            out["ref_grads"] = out["grads"]
        else:
            out["ref_grads"] = weight_grads(h, ref) if reference else None
        return out

    def _sg_deltas(self, a, h, e, y, ref, out):
        """DNI/cDNI, from the top down. At a decoupled layer i the gradient it uses for its output
        is gᵢ = mix(Mᵢ(hᵢ[, y]), ∂L/∂hᵢ, λ); elsewhere gᵢ = δᵢ₊₁ Wᵢ₊₁ᵀ (backprop of the signal
        above). Then δᵢ = φ′(aᵢ) ⊙ gᵢ. Mᵢ's target is δᵢ₊₁ Wᵢ₊₁ᵀ — the true gradient when nothing
        above is synthetic, else the bootstrapped one (`bootstrap_target`); with
        bootstrap=False, the true gradient ∂L/∂hᵢ."""
        ctx = y if self.method == "cdni" else None
        caches = out["caches"]
        n_hidden = self.depth
        deltas = [None] * n_hidden + [e]
        g_hat, true_g, targets = {}, {}, {}
        for i in range(n_hidden - 1, -1, -1):
            W_above = self.layers[i + 1]["W"]
            from_above = deltas[i + 1] @ W_above.T  # = bootstrap_target(g_{i+1}, a_{i+1}, ...)
            if i in self.modules:
                # ∂ℓ/∂hᵢ, for λ-mixing, bootstrap=False and the metrics (None if not computed)
                true_g[i] = None if ref is None else ref[i + 1] @ W_above.T
                g_hat[i] = self.modules[i].predict(h[i + 1], ctx)
                targets[i] = from_above if self.bootstrap else true_g[i]
                g = mix(g_hat[i], true_g[i], self.lam)
            else:
                g = from_above
            deltas[i] = local_delta(g, a[i], self.act, caches[i])
        out.update(g_hat=g_hat, true_g=true_g, sg_targets=targets, ctx=ctx)
        return deltas

    def step(self, x, y, track=True):
        """One training step on a batch. Returns a dict: loss, and (if track) alignment per layer
        (arrays over layers 1..L; the output layer is exact for every method) and, for DNI/cDNI,
        each module's regression loss and the cosine of ĝᵢ with the true ∂L/∂hᵢ."""
        with np.errstate(all="ignore"):
            s = self.signals(x, y, reference=track)
            info = {"loss": s["loss"]}
            if track:
                info.update(alignment(s["deltas"], s["ref_deltas"], s["grads"], s["ref_grads"]))
            if self.modules is not None:
                order = sorted(self.modules)
                info["sg_loss"] = np.array([
                    self.modules[i].update(s["h"][i + 1], s["sg_targets"][i], s["ctx"])
                    for i in order])
                if track:
                    info["sg_cos"] = np.array([cosine(s["g_hat"][i], s["true_g"][i])
                                               for i in order])
            if track and self.sizes[-1] == 1 and self.act != "linear":
                info["coherence"] = kickback_coherence(self.layers, s["a"], self.act)
            last = len(self.layers) - 1
            for i, (layer, (dW, db)) in enumerate(zip(self.layers, s["grads"])):
                cache = s["caches"][i]
                if cache is not None:  # running statistics follow the data, frozen or not
                    update_running_stats(layer["bn"], cache)
                if i < last and (self.method == "frozen" or (
                        self.update_prob < 1.0 and self.rng.random() >= self.update_prob)):
                    continue
                grads = {"W": dW, "b": db} if "b" in layer else {"W": dW}
                self.opts[i].step(layer, grads)
                if cache is not None:
                    self.bn_opts[i].step(layer["bn"], {"gamma": cache["dgamma"],
                                                       "beta": cache["dbeta"]})
        return info


# ----------------------------------------------------------------------------------------
# Training loop
# ----------------------------------------------------------------------------------------

def train(method, data, hidden=(256, 256, 256), epochs=20, batch_size=64, rng=None,
          progress=None, track=True, shuffle_rng=None, target_error=None, **options):
    """Train a FeedbackNetwork with `method` on data = (x_train, y_train, x_test, y_test).

    Returns a dict of arrays: per step "loss" and (if track) "cos_delta", "relerr_delta",
    "cos_update", "relerr_update" of shape (steps, layers) [and "sg_loss", "sg_cos" of shape
    (steps, hidden layers) for DNI/cDNI]; per epoch "epoch_step", "train_loss", "test_loss",
    "test_error"; "diverged_at" (a step, or None) and the trained "network". A non-finite loss
    stops training (divergence is a result, not an exception).
    `rng` draws the initial weights (and feedback matrices, SG modules) and, unless
    `shuffle_rng` is given, the minibatch order too. `target_error`: stop after the first epoch
    whose test error is at most this (to compare networks at matched accuracy); "reached_at"
    is that epoch (None if never).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    shuffle_rng = rng if shuffle_rng is None else shuffle_rng
    x_tr, y_tr, x_te, y_te = data
    sizes = [x_tr.shape[1], *hidden, y_tr.shape[1]]
    net = FeedbackNetwork(sizes, method, rng, **options)
    n = x_tr.shape[0]
    per_epoch = int(np.ceil(n / batch_size))
    steps = {}
    evals = {"epoch_step": [0], "train_loss": [], "test_loss": [], "test_error": []}

    def evaluate(train_loss):
        vl, ve = net.evaluate(x_te, y_te)
        evals["train_loss"].append(train_loss)
        evals["test_loss"].append(vl)
        evals["test_error"].append(ve)

    evaluate(net.evaluate(x_tr, y_tr)[0])
    diverged, reached, k = None, None, 0
    for epoch in range(epochs):
        order = shuffle_rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            info = net.step(x_tr[idx], y_tr[idx], track=track)
            for key, v in info.items():
                steps.setdefault(key, []).append(v)
            k += 1
            if not np.isfinite(info["loss"]):
                diverged = k
                break
        evals["epoch_step"].append(k)
        evaluate(float(np.mean(steps["loss"][k - len(range(0, n, batch_size)):])))
        if progress is not None:
            progress(epoch + 1, epochs)
        if diverged is not None:
            break
        if target_error is not None and evals["test_error"][-1] <= target_error:
            reached = epoch + 1
            break
    out = {key: np.array(v) for key, v in steps.items()}
    out.update({key: np.array(v, dtype=float) for key, v in evals.items()})
    out.update(method=method, sizes=sizes, steps_per_epoch=per_epoch, diverged_at=diverged,
               reached_at=reached, network=net)
    return out


# ----------------------------------------------------------------------------------------
# Data and analysis helpers used by the experiments and notebooks
# ----------------------------------------------------------------------------------------

def digits_task(seed=0, task="classes"):
    """The digits as (x_train, y_train, x_test, y_test) for `train` (via gradlab.models.datasets).

    task="classes": 10-way, one-hot targets (softmax_ce); task="odd": the scalar task
    "is the digit odd?", targets of shape (n, 1) (binary_ce); task="value": scalar regression
    of the digit's value, standardised ((digit − 4.5)/2.87, shape (n, 1), mse) — the setting
    kickback is defined for (one output, regression).
    """
    from ..models.datasets import load_digits_split

    d = load_digits_split(seed=seed)
    if task == "classes":
        return d.X_train, d.Y_train, d.X_test, d.Y_test
    if task == "odd":
        return (d.X_train, (d.y_train % 2).astype(float)[:, None],
                d.X_test, (d.y_test % 2).astype(float)[:, None])
    if task == "value":
        scale = lambda y: ((y - 4.5) / 2.87)[:, None]  # noqa: E731
        return d.X_train, scale(d.y_train), d.X_test, scale(d.y_test)
    raise ValueError(f"unknown task {task!r}; choose 'classes', 'odd' or 'value'")


def end_to_end_map(layers):
    """W₁W₂⋯W_L: what a linear network (no biases, φ = identity) computes, x ↦ x·P."""
    P = layers[0]["W"]
    for layer in layers[1:]:
        P = P @ layer["W"]
    return P


def linear_cka(X, Y):
    """Linear centred kernel alignment between representations X (n, p) and Y (n, q) of the
    same n inputs: ‖XᵀY‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) after centring; 1 = same up to rotation and
    scale, 0 = unrelated. Invariant to orthogonal maps and isotropic scaling, not to any
    invertible linear map (Kornblith et al. 2019)."""
    X = X - X.mean(axis=0)
    Y = Y - Y.mean(axis=0)
    num = np.linalg.norm(X.T @ Y) ** 2
    den = np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y)
    return float(num / den) if den > 0 else float("nan")


def singular_values(X):
    """Singular values of the centred representation, normalised to sum to 1."""
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    return s / s.sum() if s.sum() > 0 else s


def effective_rank(X):
    """exp(entropy of the normalised singular values): how many directions the layer uses."""
    p = singular_values(X)
    p = p[p > 0]
    return float(np.exp(-np.sum(p * np.log(p))))


def linear_probe_error(h_train, y_train, h_test, y_test, ridge=1e-2):
    """Test error of a ridge-regression classifier (one-hot targets) fitted on a layer's
    activations: how linearly separable the classes are at that layer."""
    mu, sd = h_train.mean(axis=0), h_train.std(axis=0) + 1e-8
    A = np.c_[(h_train - mu) / sd, np.ones(len(h_train))]
    B = np.c_[(h_test - mu) / sd, np.ones(len(h_test))]
    W = np.linalg.solve(A.T @ A + ridge * len(A) * np.eye(A.shape[1]), A.T @ y_train)
    return float(np.mean((B @ W).argmax(axis=1) != y_test.argmax(axis=1)))
