"""A plain multilayer perceptron on a parameter list, written twice: with gradlab.numpy and by hand.

Parameters are a flat list ``[W1, b1, W2, b2, ..., WL, bL]`` with ``W_l`` of shape
(fan_in, fan_out): a batch X (B, n_in) flows as

    z_l = h_{l-1} W_l + b_l        (pre-activations, B × units)
    h_l = φ(z_l)                    (hidden layers; φ = relu or tanh)
    logits = z_L                    (no activation on the last layer)
    loss = mean over the batch of the softmax cross-entropy with one-hot targets Y.

`sizes=[64, 10]` (no hidden layer) is multinomial logistic regression.

Two implementations of the same maths:
- `loss`, `logits`, `per_example_loss` are written with `gradlab.numpy`, so both of our AD
  modes differentiate them (`gradlab.grad(loss)(params, X, Y)`, `gradlab.jvp(...)`), and they
  also run on plain arrays.
- `np_value_and_grad`, `np_jvp` and `np_activity_jvp` are hand-written numpy forward, backward
  and tangent passes: what an AD system could at best produce. They are the floor against which
  the per-iteration cost of our engines is measured (and tests check them against the engines).

Tangent rules used by the hand-written passes (the forward-mode rules of each operation):
    ż_l = ḣ_{l-1} W_l + h_{l-1} Ẇ_l + ḃ_l,   ḣ_l = φ'(z_l) ⊙ ż_l,
    L̇ = mean_n (p_n − y_n) · ż_{L,n}          (p = softmax(logits)).
"""

from __future__ import annotations

import numpy as np

from ..ad import numpy as gnp
from ..ad.core import strip

ACTIVATIONS = ("relu", "tanh")


def _check_activation(activation):
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def init_params(sizes, rng, scale="he"):
    """Random weights and zero biases for layer sizes like [64, 128, 128, 10].

    scale: "he" (std √(2/fan_in), for relu), "glorot" (std √(1/fan_in), for tanh), or a float
    standard deviation. Returns the list [W1, b1, ..., WL, bL].
    """
    if len(sizes) < 2:
        raise ValueError(f"an MLP needs at least an input and an output size, got {sizes}")
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        if scale == "he":
            std = np.sqrt(2.0 / fan_in)
        elif scale == "glorot":
            std = np.sqrt(1.0 / fan_in)
        else:
            std = float(scale)
        params.append(rng.standard_normal((fan_in, fan_out)) * std)
        params.append(np.zeros(fan_out))
    return params


def layer_sizes(params):
    """The sizes [n_in, h1, ..., n_out] of a parameter list."""
    return [params[0].shape[0]] + [params[i].shape[1] for i in range(0, len(params), 2)]


def n_params(params):
    """The number of scalar parameters."""
    return int(sum(np.size(p) for p in params))


def _phi(z, activation):
    return gnp.relu(z) if activation == "relu" else gnp.tanh(z)


# ----------------------------------------------------------------------------------------
# With gradlab.numpy: differentiable by both of our modes.
# ----------------------------------------------------------------------------------------

def logits(params, X, activation="relu", preactivation_shift=None, layer_inputs=None):
    """The network's outputs z_L (B, n_out).

    preactivation_shift: optional list, one (B, units) array per layer, added to that layer's
    pre-activations z_l (None entries are skipped). At zero it changes nothing; differentiating
    with respect to it gives ∂loss/∂z_l (used by activity-perturbed forward gradients).
    layer_inputs: optional list; if given, the plain value of each layer's input h_{l-1} is
    appended to it (so a caller gets the activations without a second forward pass).
    """
    _check_activation(activation)
    h = X
    n_layers = len(params) // 2
    for l in range(n_layers):
        if layer_inputs is not None:
            layer_inputs.append(strip(h))
        z = h @ params[2 * l] + params[2 * l + 1]
        if preactivation_shift is not None and preactivation_shift[l] is not None:
            z = z + preactivation_shift[l]
        h = z if l == n_layers - 1 else _phi(z, activation)
    return h


def per_example_loss(params, X, Y, activation="relu", preactivation_shift=None,
                     layer_inputs=None):
    """Softmax cross-entropy of each example (B,), with one-hot targets Y (B, n_out)."""
    out = logits(params, X, activation, preactivation_shift, layer_inputs)
    return -gnp.sum(Y * gnp.log_softmax(out, axis=-1), axis=-1)


def loss(params, X, Y, activation="relu"):
    """Mean softmax cross-entropy over the batch: the training objective."""
    return gnp.mean(per_example_loss(params, X, Y, activation))


class Objective:
    """The training loss on one batch as a function of the parameters alone: f(params).

    Estimators see an ordinary scalar function; the ones that need the network's structure
    (activity perturbation, hand-written passes) read X, Y and activation from it.
    """

    def __init__(self, X, Y, activation="relu"):
        _check_activation(activation)
        self.X, self.Y, self.activation = X, Y, activation

    def __call__(self, params):
        return loss(params, self.X, self.Y, self.activation)

    def __repr__(self):
        return f"mlp.Objective(batch={self.X.shape[0]}, activation={self.activation!r})"


def predict(params, X, activation="relu"):
    """Predicted class of each row of X (plain numpy; not for differentiation)."""
    return np.argmax(np_logits(params, X, activation), axis=-1)


def accuracy(params, X, y, activation="relu"):
    """Fraction of rows of X whose predicted class equals the label y."""
    return float(np.mean(predict(params, X, activation) == np.asarray(y)))


# ----------------------------------------------------------------------------------------
# Hand-written numpy passes (the floor for runtime comparisons; checked against the engines).
# ----------------------------------------------------------------------------------------

def _np_phi(z, activation):
    return np.maximum(z, 0.0) if activation == "relu" else np.tanh(z)


def _np_dphi(z, h, activation):
    return (z > 0).astype(z.dtype) if activation == "relu" else 1.0 - h * h


def _np_log_softmax(z):
    m = z.max(axis=-1, keepdims=True)
    s = z - m
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def np_logits(params, X, activation="relu"):
    """Forward pass in plain numpy: the logits (B, n_out)."""
    _check_activation(activation)
    h = X
    n_layers = len(params) // 2
    for l in range(n_layers):
        z = h @ params[2 * l] + params[2 * l + 1]
        h = z if l == n_layers - 1 else _np_phi(z, activation)
    return h


def np_loss(params, X, Y, activation="relu"):
    """The mean cross-entropy in plain numpy (the cost of one evaluation of f)."""
    return float(-np.mean(np.sum(Y * _np_log_softmax(np_logits(params, X, activation)), axis=-1)))


def np_forward(params, X, Y, activation="relu"):
    """Forward pass keeping what the backward pass needs: returns (loss, cache)."""
    _check_activation(activation)
    hs, zs = [X], []
    n_layers = len(params) // 2
    h = X
    for l in range(n_layers):
        z = h @ params[2 * l] + params[2 * l + 1]
        zs.append(z)
        if l < n_layers - 1:
            h = _np_phi(z, activation)
            hs.append(h)
    logp = _np_log_softmax(zs[-1])
    value = float(-np.mean(np.sum(Y * logp, axis=-1)))
    return value, (hs, zs, logp)


def np_backward(params, cache, Y, activation="relu"):
    """Backward pass (backprop by hand): the gradient list, same structure as params."""
    hs, zs, logp = cache
    B = Y.shape[0]
    delta = (np.exp(logp) - Y) / B  # ∂loss/∂z_L
    n_layers = len(params) // 2
    grads = [None] * len(params)
    for l in range(n_layers - 1, -1, -1):
        grads[2 * l] = hs[l].T @ delta
        grads[2 * l + 1] = delta.sum(axis=0)
        if l > 0:
            delta = (delta @ params[2 * l].T) * _np_dphi(zs[l - 1], hs[l], activation)
    return grads


def np_value_and_grad(params, X, Y, activation="relu"):
    """(loss, gradient list) by a hand-written forward and backward pass."""
    value, cache = np_forward(params, X, Y, activation)
    return value, np_backward(params, cache, Y, activation)


def np_jvp(params, tangents, X, Y, activation="relu"):
    """(loss, ∇loss · tangents) in one forward pass carrying tangents on every parameter."""
    _check_activation(activation)
    h, hdot = X, None
    n_layers = len(params) // 2
    for l in range(n_layers):
        W, b = params[2 * l], params[2 * l + 1]
        Wdot, bdot = tangents[2 * l], tangents[2 * l + 1]
        z = h @ W + b
        zdot = h @ Wdot + bdot
        if hdot is not None:
            zdot += hdot @ W
        if l < n_layers - 1:
            h = _np_phi(z, activation)
            hdot = _np_dphi(z, h, activation) * zdot
    logp = _np_log_softmax(z)
    value = float(-np.mean(np.sum(Y * logp, axis=-1)))
    dvalue = float(np.mean(np.sum((np.exp(logp) - Y) * zdot, axis=-1)))
    return value, dvalue


def np_activity_jvp(params, X, Y, perturbations, activation="relu"):
    """Directional derivatives of each example's loss along perturbations of the pre-activations.

    perturbations: one (B, units_l) array per layer (None to leave a layer unperturbed).
    Returns (mean loss, d, inputs) where d (B,) holds d_n = Σ_l ∇_{z_l,n} loss_n · u_{l,n}
    and inputs[l] = h_{l-1} (B, fan_in) is the input of layer l (what g_W needs).
    """
    _check_activation(activation)
    h, hdot = X, None
    inputs = []
    n_layers = len(params) // 2
    for l in range(n_layers):
        W, b = params[2 * l], params[2 * l + 1]
        inputs.append(h)
        z = h @ W + b
        zdot = np.zeros_like(z) if hdot is None else hdot @ W
        if perturbations[l] is not None:
            zdot = zdot + perturbations[l]
        if l < n_layers - 1:
            h = _np_phi(z, activation)
            hdot = _np_dphi(z, h, activation) * zdot
    logp = _np_log_softmax(z)
    value = float(-np.mean(np.sum(Y * logp, axis=-1)))
    d = np.sum((np.exp(logp) - Y) * zdot, axis=-1)
    return value, d, inputs
