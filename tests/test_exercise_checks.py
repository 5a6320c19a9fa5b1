"""gradlab.exercises.check: right answers pass, placeholders are "not done yet", and each
deliberately wrong answer gets the specific message it should — never a traceback.

The right answers are the instructor solutions' formulas; the wrong ones are the mistakes the
instructor notes list (docs/instructor/exercises.md), one test each, asserting the mistake the
check recognised (`result.mistake`) and a phrase of its hint.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import gradlab
import gradlab.numpy as gnp
from gradlab.ad.scalar_reverse import Value
from gradlab.exercises import check, demo
from gradlab.exercises.runner import FAILED, NOT_DONE, PASSED, CheckResult, call

# ----------------------------------------------------------------------------------------
# Right answers (as in the instructor sources)
# ----------------------------------------------------------------------------------------


def softplus_jvp(t, ans, x):
    return t * gnp.sigmoid(x)


def arctan_rule(t, ans, x):
    return t / (1.0 + x * x)


SOFTPLUS = gradlab.primitive(lambda x: np.logaddexp(0.0, x), name="softplus",
                             jvp=(softplus_jvp,), vjp=(softplus_jvp,))
ARCTAN = gradlab.primitive(np.arctan, jvp=(arctan_rule,), vjp=(arctan_rule,))


def unbroadcast(g, shape):
    lead = g.ndim - len(shape)
    g = np.sum(g, axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return np.sum(g, axis=stretched, keepdims=True)


def topological_order(root):
    order, visited = [], set()

    def visit(v):
        if v not in visited:
            visited.add(v)
            for p in v.parents:
                visit(p)
            order.append(v)
    visit(root)
    return order


def backward(root):
    root.grad = 1.0
    for v in reversed(topological_order(root)):
        v._backward()


def make_mul(op="+="):
    def mul(a, b):
        out = Value(a.value * b.value, (a, b), "*")

        def _backward():
            if op == "+=":
                a.grad += b.value * out.grad
                b.grad += a.value * out.grad
            elif op == "=":
                a.grad = b.value * out.grad
                b.grad = a.value * out.grad
            elif op == "no-out-grad":
                a.grad += b.value
                b.grad += a.value
            elif op == "swapped":
                a.grad += a.value * out.grad
                b.grad += b.value * out.grad
        out._backward = _backward
        return out
    return mul


def forward_gradient(f, x, rng):
    v = rng.standard_normal(np.shape(x))
    return gradlab.jvp(f, (x,), (v,))[1] * v


def mean_sq_norm(estimator, f, x, rng, n_samples):
    return float(np.mean([np.sum(estimator(f, x, rng) ** 2) for _ in range(n_samples)]))


def init_sg_module(dim):
    return {"A": np.zeros((dim, dim)), "b": np.zeros(dim)}


def bootstrap_target(g_next, a_next, W_next, act_deriv):
    return (act_deriv(a_next) * g_next) @ W_next.T


def make_sg_update(sign=1.0, mean=True, half=True):
    def sg_update(params, h, target, lr):
        r = h @ params["A"] + params["b"] - target
        n = h.shape[0] if mean else 1
        loss = (0.5 if half else 1.0) * float(np.mean(np.sum(r * r, axis=1)))
        return {"A": params["A"] - sign * lr * h.T @ r / n,
                "b": params["b"] - sign * lr * r.sum(axis=0) / n}, loss
    return sg_update


def compose_backward(grad_fn, theta0, batches, lr):
    theta = theta0
    for batch in reversed(batches):
        theta = theta - lr * grad_fn(theta, batch)
    return theta


def backward_iterates(compose, grad_fn, theta0, batches, lr):
    return [compose(grad_fn, theta0, batches[:k], lr) for k in range(len(batches) + 1)]


def contraction_factor(steps):
    s = np.asarray(steps, dtype=float)
    k = np.arange(s.size)
    keep = s > 0
    return float(np.exp(np.polyfit(k[keep], np.log(s[keep]), 1)[0]))


RIGHT = [
    ("jvp_rule", lambda: check.jvp_rule(softplus_jvp, quiet=True)),
    ("vjp_rule", lambda: check.vjp_rule(softplus_jvp, quiet=True)),
    ("primitive", lambda: check.primitive(SOFTPLUS, quiet=True)),
    ("jvp_rule arctan", lambda: check.jvp_rule(arctan_rule, "arctan", quiet=True)),
    ("primitive arctan", lambda: check.primitive(ARCTAN, "arctan", quiet=True)),
    ("unbroadcast", lambda: check.unbroadcast(unbroadcast, quiet=True)),
    ("topological_order", lambda: check.topological_order(topological_order, quiet=True)),
    ("backward", lambda: check.backward(backward, quiet=True)),
    ("mul", lambda: check.mul(make_mul(), quiet=True)),
    ("forward_gradient", lambda: check.forward_gradient(forward_gradient, quiet=True)),
    ("mean_sq_norm", lambda: check.mean_sq_norm(mean_sq_norm, quiet=True)),
    ("init_sg_module", lambda: check.init_sg_module(init_sg_module, quiet=True)),
    ("bootstrap_target", lambda: check.bootstrap_target(bootstrap_target, quiet=True)),
    ("sg_update", lambda: check.sg_update(make_sg_update(), quiet=True)),
    ("compose_backward", lambda: check.compose_backward(compose_backward, quiet=True)),
    ("backward_iterates", lambda: check.backward_iterates(backward_iterates, quiet=True)),
    ("contraction_factor", lambda: check.contraction_factor(contraction_factor, quiet=True)),
]


@pytest.mark.parametrize("name,run", RIGHT, ids=[r[0] for r in RIGHT])
def test_right_answers_pass(name, run):
    result = run()
    assert result.status == PASSED, result.text()
    assert result.text().startswith("✓")


SEEDED = [
    lambda s: check.jvp_rule(softplus_jvp, seed=s, quiet=True),
    lambda s: check.primitive(SOFTPLUS, seed=s, quiet=True),
    lambda s: check.unbroadcast(unbroadcast, seed=s, quiet=True),
    lambda s: check.forward_gradient(forward_gradient, seed=s, quiet=True),
    lambda s: check.bootstrap_target(bootstrap_target, seed=s, quiet=True),
    lambda s: check.sg_update(make_sg_update(), seed=s, quiet=True),
    lambda s: check.compose_backward(compose_backward, seed=s, quiet=True),
    lambda s: check.contraction_factor(contraction_factor, seed=s, quiet=True),
]


@pytest.mark.parametrize("seed", [1, 2718, 99])
def test_right_answers_pass_the_seeded_hidden_cases(seed):
    for run in SEEDED:
        result = run(seed)
        assert result.passed, result.text()


def test_dni_training_passes_with_the_right_module():
    result = check.dni_training(init_sg_module, bootstrap_target, make_sg_update(), quiet=True)
    assert result.passed, result.text()
    assert "hidden layers frozen" in result.message


# ----------------------------------------------------------------------------------------
# Placeholders: "not done yet", never "failed"
# ----------------------------------------------------------------------------------------

def placeholder(*args):
    ...


def raises_not_implemented(*args):
    raise NotImplementedError("write me")


NOT_DONE_CHECKS = [check.jvp_rule, check.vjp_rule, check.primitive, check.unbroadcast,
                   check.topological_order, check.backward, check.mul, check.forward_gradient,
                   check.mean_sq_norm, check.init_sg_module, check.bootstrap_target,
                   check.sg_update, check.compose_backward, check.backward_iterates,
                   check.contraction_factor]


PLACEHOLDERS = {"body ...": placeholder, "NotImplementedError": raises_not_implemented,
                "None": None, "Ellipsis": Ellipsis}
# check.primitive takes the registered primitive itself, whose placeholder is `softplus = ...`
NOT_DONE_CASES = [(c, k) for c in NOT_DONE_CHECKS for k in PLACEHOLDERS
                  if c is not check.primitive or k in ("None", "Ellipsis")]


@pytest.mark.parametrize("check_fn,kind", NOT_DONE_CASES,
                         ids=[f"{c.__name__}-{k}" for c, k in NOT_DONE_CASES])
def test_placeholders_are_not_done_yet(check_fn, kind):
    fn = PLACEHOLDERS[kind]
    result = check_fn(fn, quiet=True)
    assert result.status == NOT_DONE, result.text()
    assert "not done yet" in result.text()


def test_dni_training_with_placeholders_is_not_done():
    assert check.dni_training(placeholder, placeholder, placeholder, quiet=True).not_done
    assert check.dni_training(None, bootstrap_target, placeholder, quiet=True).not_done


# ----------------------------------------------------------------------------------------
# Deliberately wrong answers, each with its specific message
# ----------------------------------------------------------------------------------------

def _rule(expr):
    return lambda t, ans, x: expr(t, ans, x)


WRONG = {
    # exercise 1
    "jvp forgot tangent": (lambda: check.jvp_rule(_rule(lambda t, a, x: gnp.sigmoid(x)),
                                                  quiet=True), "forgot-tangent", "multiply it"),
    "jvp at ans": (lambda: check.jvp_rule(_rule(lambda t, a, x: t * gnp.sigmoid(a)), quiet=True),
                   "used-ans", "evaluate it at the input x"),
    "jvp exp": (lambda: check.jvp_rule(_rule(lambda t, a, x: t * gnp.exp(x)), quiet=True),
                "derivative-of-exp", "derivative of exp"),
    "jvp minus sign": (lambda: check.jvp_rule(_rule(lambda t, a, x: t * gnp.sigmoid(-x)),
                                              quiet=True), "minus-sign", "σ(−x)"),
    "jvp value": (lambda: check.jvp_rule(
        _rule(lambda t, a, x: t * gnp.log1p(gnp.exp(x))), quiet=True),
        "value-not-derivative", "not by its derivative"),
    "jvp overflow": (lambda: check.jvp_rule(
        _rule(lambda t, a, x: t * gnp.exp(x) / (1 + gnp.exp(x))), quiet=True),
        "overflow", "overflows"),
    "jvp numpy in rule": (lambda: check.jvp_rule(
        _rule(lambda t, a, x: t / (1.0 + np.exp(-x))), quiet=True),
        "numpy-in-rule", "write it with gnp functions"),
    "jvp summed": (lambda: check.jvp_rule(_rule(lambda t, a, x: gnp.sum(t * gnp.sigmoid(x))),
                                          quiet=True), "wrong-shape", "elementwise"),
    "arctan (1+x)^2": (lambda: check.jvp_rule(_rule(lambda t, a, x: t / (1 + x) ** 2), "arctan",
                                              quiet=True), "square-of-sum", "1/(1 + x²)"),
    "arctan inverted": (lambda: check.vjp_rule(_rule(lambda t, a, x: t * (1 + x * x)), "arctan",
                                               quiet=True), "inverted", "reciprocal"),
    "primitive plain function": (lambda: check.primitive(lambda x: np.logaddexp(0, x),
                                                         quiet=True),
                                 "not-a-primitive", "gradlab.primitive"),
    "primitive rules not a tuple": (lambda: check.primitive(gradlab.primitive(
        lambda x: np.logaddexp(0, x), jvp=softplus_jvp, vjp=(softplus_jvp,)), quiet=True),
        "rules-not-tuple", "trailing comma"),
    "primitive no vjp": (lambda: check.primitive(gradlab.primitive(
        lambda x: np.logaddexp(0, x), jvp=(softplus_jvp,)), quiet=True),
        "missing-vjp", "defvjp"),
    "primitive wrong vjp": (lambda: check.primitive(gradlab.primitive(
        lambda x: np.logaddexp(0, x), jvp=(softplus_jvp,),
        vjp=(lambda g, a, x: g * gnp.exp(x),)), quiet=True), "wrong-rule", "reverse mode"),
    # exercise 2
    "unbroadcast returns g": (lambda: check.unbroadcast(lambda g, s: g, quiet=True),
                              "returned-g", "added up"),
    "unbroadcast drops the kept axis": (lambda: check.unbroadcast(
        lambda g, s: np.reshape(unbroadcast(g, s), [n for n in s if n != 1]) if 1 in s
        else unbroadcast(g, s), quiet=True),
        "dropped-kept-axis", "you summed over axis 0 but the argument had shape (1, 4): keep"),
    "unbroadcast mean": (lambda: check.unbroadcast(
        lambda g, s: unbroadcast(g, s) / max(1, g.size // max(1, int(np.prod(s)))), quiet=True),
        "mean-not-sum", "use a sum"),
    "unbroadcast leading axes only": (lambda: check.unbroadcast(
        lambda g, s: np.sum(g, axis=tuple(range(g.ndim - len(s)))), quiet=True),
        "returned-g", "axis 0"),
    "unbroadcast wrong axis on a square": (lambda: check.unbroadcast(
        lambda g, s: unbroadcast(g, s) if g.shape != (3, 3) or s == (3, 3)
        else np.sum(g, axis=1 if s == (1, 3) else 0).reshape(s), quiet=True),
        "wrong-axes", "not copied along axis 1"),
    "unbroadcast sums when shapes already match": (lambda: check.unbroadcast(
        lambda g, s: np.sum(g, axis=0) if g.shape == s else unbroadcast(g, s), quiet=True),
        "summed-nothing-needed", "nothing to sum"),
    "unbroadcast list": (lambda: check.unbroadcast(lambda g, s: unbroadcast(g, s).tolist(),
                                                   quiet=True), "wrong-type", "numpy array"),
    # exercise 3
    "topo duplicates": (lambda: check.topological_order(_topo_without_visited, quiet=True),
                        "duplicates", "visited"),
    "topo breadth first": (lambda: check.topological_order(_topo_bfs, quiet=True),
                           "parent-after-child", "after its parents"),
    "topo set": (lambda: check.topological_order(lambda r: set(topological_order(r)), quiet=True),
                 "set", "no order"),
    "topo without inputs": (lambda: check.topological_order(
        lambda r: [v for v in topological_order(r) if v.parents or v is r], quiet=True),
        "missing", "inputs belong in the order"),
    "backward forward order": (lambda: check.backward(_backward_forward_order, quiet=True),
                               "forward-order", "reverse"),
    "backward once per path": (lambda: check.backward(_backward_per_path, quiet=True),
                               "closure-per-path", "dc/da came out 8 instead of 4"),
    "backward no seed": (lambda: check.backward(_backward_no_seed, quiet=True),
                         "no-seed", "root.grad = 1"),
    "mul overwrites": (lambda: check.mul(make_mul("="), quiet=True), "overwrite",
                       "must be added (+=), not overwritten (=)"),
    "mul without out.grad": (lambda: check.mul(make_mul("no-out-grad"), quiet=True),
                             "forgot-out-grad", "out.grad"),
    "mul swapped": (lambda: check.mul(make_mul("swapped"), quiet=True), "swapped", "swapped"),
    # exercise 4
    "forward gradient v only": (lambda: check.forward_gradient(
        lambda f, x, rng: rng.standard_normal(np.shape(x)), quiet=True),
        "direction-only", "directional derivative"),
    "forward gradient d only": (lambda: check.forward_gradient(
        lambda f, x, rng: gradlab.jvp(f, (x,), (rng.standard_normal(np.shape(x)),))[1],
        quiet=True), "derivative-only", "times the direction"),
    "forward gradient unit v": (lambda: check.forward_gradient(_unit_direction, quiet=True),
                                "unit-direction", "n times too small"),
    "forward gradient uniform v": (lambda: check.forward_gradient(_uniform_direction,
                                                                  quiet=True),
                                   "uniform-direction", "rng.standard_normal"),
    "forward gradient exact": (lambda: check.forward_gradient(
        lambda f, x, rng: gradlab.grad(f)(x), quiet=True), "exact-gradient", "one JVP"),
    "forward gradient fresh generator": (lambda: check.forward_gradient(_fresh_generator,
                                                                        quiet=True),
                                         "not-random", "same g"),
    "forward gradient flattened": (lambda: check.forward_gradient(
        lambda f, x, rng: forward_gradient(f, x, rng).ravel(), quiet=True),
        "wrong-shape", "reshape"),
    "mean of norms": (lambda: check.mean_sq_norm(
        lambda e, f, x, rng, n: float(np.mean([np.linalg.norm(e(f, x, rng)) for _ in range(n)])),
        quiet=True), "mean-of-norms", "squared"),
    "norm of mean": (lambda: check.mean_sq_norm(
        lambda e, f, x, rng, n: float(np.sum(np.mean([e(f, x, rng) for _ in range(n)],
                                                     axis=0) ** 2)), quiet=True),
        "norm-of-mean", "second moment"),
    "sum not mean": (lambda: check.mean_sq_norm(
        lambda e, f, x, rng, n: n * mean_sq_norm(e, f, x, rng, n), quiet=True),
        "sum-not-mean", "divide by n_samples"),
    # exercise 5
    "module random init": (lambda: check.init_sg_module(
        lambda d: {"A": np.random.default_rng(0).normal(size=(d, d)), "b": np.zeros(d)},
        quiet=True), "not-zero", "start the module at zero"),
    "module wrong keys": (lambda: check.init_sg_module(
        lambda d: {"W": np.zeros((d, d)), "b": np.zeros(d)}, quiet=True), "wrong-keys", '"A"'),
    "bootstrap without φ′": (lambda: check.bootstrap_target(
        lambda g, a, W, d: g @ W.T, quiet=True), "no-act-deriv", "act_deriv(a_next)"),
    "bootstrap W not transposed": (lambda: check.bootstrap_target(
        lambda g, a, W, d: (d(a) * g) @ W if W.shape[0] == W.shape[1] else bootstrap_target(
            g, a, W, d), quiet=True), "no-transpose", "transpose"),
    "bootstrap wrong shape": (lambda: check.bootstrap_target(
        lambda g, a, W, d: d(a) * g, quiet=True), "wrong-shape", "W_next.T"),
    "update ascent": (lambda: check.sg_update(make_sg_update(sign=-1.0), quiet=True),
                      "ascent", "up"),
    "update summed over the batch": (lambda: check.sg_update(make_sg_update(mean=False),
                                                             quiet=True),
                                     "sum-not-mean", "batch size"),
    "update loss without ½": (lambda: check.sg_update(make_sg_update(half=False), quiet=True),
                              "loss-no-half", "½"),
    "update transposed": (lambda: check.sg_update(_update_transposed, quiet=True),
                          "transposed", "transpose"),
    "training with ascent": (lambda: check.dni_training(
        init_sg_module, bootstrap_target, make_sg_update(sign=-1.0), quiet=True),
        "no-learning", "did not learn"),
    # exercise 6
    "compose forward order": (lambda: check.compose_backward(_compose_forward, quiet=True),
                              "forward-order", "reversed(batches)"),
    "compose at θ₀": (lambda: check.compose_backward(
        lambda gf, t0, bs, lr: t0 - lr * sum(gf(t0, b) for b in bs), quiet=True),
        "gradients-at-theta0", "the point it is applied to"),
    "compose in place": (lambda: check.compose_backward(_compose_in_place, quiet=True),
                         "modified-theta0", "in place"),
    "compose extra gradients": (lambda: check.compose_backward(_compose_twice, quiet=True),
                                "gradient-count", "one gradient per batch"),
    "iterates without θ₀": (lambda: check.backward_iterates(
        lambda c, g, t0, bs, lr: [c(g, t0, bs[:k], lr) for k in range(1, len(bs) + 1)],
        quiet=True), "missing-theta0", "θ̃₀ = θ₀ first"),
    "iterates from the previous one": (lambda: check.backward_iterates(_iterates_chained,
                                                                       quiet=True),
                                       "from-previous", "restarts from θ₀"),
    "iterates of forward SGD": (lambda: check.backward_iterates(_iterates_forward, quiet=True),
                                "forward-sgd", "forward SGD"),
    "factor log slope": (lambda: check.contraction_factor(
        lambda s: float(np.log(contraction_factor(s))), quiet=True), "log-not-exp", "exp(slope)"),
    "factor log of zero": (lambda: check.contraction_factor(_factor_all_steps, quiet=True),
                           "log-of-zero", "exactly 0"),
}


def _topo_without_visited(root):
    order = []

    def visit(v):
        for p in v.parents:
            visit(p)
        order.append(v)
    visit(root)
    return order


def _topo_bfs(root):
    out, queue = [], [root]
    while queue:
        v = queue.pop(0)
        if v not in out:
            out.append(v)
            queue.extend(v.parents)
    return out[::-1]


def _backward_forward_order(root):
    root.grad = 1.0
    for v in topological_order(root):
        v._backward()


def _backward_per_path(root):
    root.grad = 1.0

    def visit(v):
        v._backward()
        for p in v.parents:
            visit(p)
    visit(root)


def _backward_no_seed(root):
    for v in reversed(topological_order(root)):
        v._backward()


def _unit_direction(f, x, rng):
    v = rng.standard_normal(np.shape(x))
    v = v / np.linalg.norm(v)
    return gradlab.jvp(f, (x,), (v,))[1] * v


def _uniform_direction(f, x, rng):
    v = rng.random(np.shape(x))
    return gradlab.jvp(f, (x,), (v,))[1] * v


def _fresh_generator(f, x, rng):
    return forward_gradient(f, x, np.random.default_rng(0))


def _update_transposed(params, h, target, lr):
    r = h @ params["A"] + params["b"] - target
    n = h.shape[0]
    return ({"A": params["A"] - lr * (h.T @ r / n).T, "b": params["b"] - lr * r.mean(axis=0)},
            0.5 * float(np.mean(np.sum(r * r, axis=1))))


def _compose_forward(grad_fn, theta0, batches, lr):
    theta = theta0
    for batch in batches:
        theta = theta - lr * grad_fn(theta, batch)
    return theta


def _compose_in_place(grad_fn, theta0, batches, lr):
    theta = theta0
    for batch in reversed(batches):
        theta -= lr * grad_fn(theta, batch)
    return theta


def _compose_twice(grad_fn, theta0, batches, lr):
    compose_backward(grad_fn, theta0, batches, lr)  # a wasted second pass
    return compose_backward(grad_fn, theta0, batches, lr)


def _iterates_chained(compose, grad_fn, theta0, batches, lr):
    out = [theta0]
    for k in range(1, len(batches) + 1):
        out.append(compose(grad_fn, out[-1], batches[:k], lr))
    return out


def _iterates_forward(compose, grad_fn, theta0, batches, lr):
    out = [theta0]
    for batch in batches:
        out.append(out[-1] - lr * grad_fn(out[-1], batch))
    return out


def _factor_all_steps(steps):
    k = np.arange(len(steps))
    return float(np.exp(np.polyfit(k, np.log(steps), 1)[0]))


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_answer_gets_its_specific_message(name):
    run, mistake, phrase = WRONG[name]
    result = run()
    assert result.status == FAILED, result.text()
    assert result.mistake == mistake, result.text()
    assert phrase in result.text(), result.text()
    assert "Traceback" not in result.text()


def test_the_issue_examples_are_worded_as_asked():
    """The two phrasings the issue gives as examples of plain-word feedback."""
    text = WRONG["unbroadcast drops the kept axis"][0]().text()
    assert "you summed over axis 0 but the argument had shape (1, 4): keep" in text
    text = check.mul(make_mul("="), quiet=True).text()
    assert "came out 3 instead of 6" in text and "added (+=), not overwritten" in text
    text = check.backward(_backward_per_path, quiet=True).text()
    assert "dc/da came out 8 instead of 4" in text


# ----------------------------------------------------------------------------------------
# Robustness: exceptions, wrong types, NaN, timeouts, anything at all -> a message
# ----------------------------------------------------------------------------------------

def _loops_forever(*args):
    while True:
        pass


def _exits(*args):
    raise SystemExit(3)


def _recurses(*args):
    return _recurses(*args)


NASTY = [
    ("exception", lambda *a: 1 / 0, "ZeroDivisionError"),
    ("exit", _exits, "SystemExit"),
    ("recursion", _recurses, "recursion limit"),
    ("wrong arity", lambda: 0, "TypeError"),
    ("string", lambda *a: "hello", ""),
    ("nan", lambda *a: np.full(np.shape(a[0]) if a and hasattr(a[0], "shape") else (),
                                  np.nan), ""),
]


FUNCTION_CHECKS = [c for c in NOT_DONE_CHECKS if c is not check.primitive]


@pytest.mark.parametrize("check_fn", FUNCTION_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("label,fn,phrase", NASTY, ids=[n[0] for n in NASTY])
def test_a_bad_function_gives_a_message_never_an_exception(check_fn, label, fn, phrase):
    result = check_fn(fn, quiet=True)
    assert result.status in (FAILED, NOT_DONE), result.text()
    assert phrase in result.text()
    assert result.mistake != "check-error", result.text()  # the check's own code held up


@pytest.mark.parametrize("check_fn", [check.unbroadcast, check.compose_backward,
                                      check.topological_order, check.jvp_rule,
                                      check.forward_gradient])
def test_a_function_that_never_returns_times_out_with_a_message(check_fn):
    result = check_fn(_loops_forever, quiet=True, timeout=0.3)
    assert result.status == FAILED
    assert result.mistake == "timeout"
    assert "did not finish within the time limit" in result.text()


@pytest.mark.parametrize("label,rule,phrase", NASTY[:4] + [("loop", _loops_forever, "time")],
                         ids=[n[0] for n in NASTY[:4]] + ["loop"])
def test_a_primitive_whose_rules_misbehave_gives_a_message(label, rule, phrase):
    prim = gradlab.primitive(lambda x: np.logaddexp(0.0, x), jvp=(rule,), vjp=(rule,))
    result = check.primitive(prim, quiet=True, timeout=0.5)
    assert result.status == FAILED and phrase in result.text(), result.text()
    assert result.mistake != "check-error", result.text()


@pytest.mark.timeout(0)  # no pytest-timeout timer: the checks use SIGALRM, as in a notebook
def test_the_alarm_stops_a_runaway_loop_on_the_main_thread():
    from gradlab.exercises.runner import _can_use_alarm

    assert _can_use_alarm()
    result = check.unbroadcast(_loops_forever, quiet=True, timeout=0.3)
    assert result.mistake == "timeout"


def test_a_timed_out_thread_is_stopped():
    check.unbroadcast(_loops_forever, quiet=True, timeout=0.2)
    assert not any(t.name == "gradlab-exercise-call" and t.is_alive()
                   for t in threading.enumerate())


def test_the_timeout_also_works_off_the_main_thread():
    """Away from the main thread (no SIGALRM) the call runs in a daemon thread instead."""
    box = {}
    worker = threading.Thread(
        target=lambda: box.update(r=check.unbroadcast(_loops_forever, quiet=True, timeout=0.3)))
    worker.start()
    worker.join(10)
    assert not worker.is_alive()
    assert box["r"].mistake == "timeout"


def test_call_passes_keyboard_interrupt_on():
    def interrupted():
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        call(interrupted)


def test_nan_is_named():
    result = check.unbroadcast(lambda g, s: np.full(s, np.nan), quiet=True)
    assert result.mistake == "nan" and "NaN" in result.text()


# ----------------------------------------------------------------------------------------
# The result object and printing
# ----------------------------------------------------------------------------------------

def test_checks_print_unless_quiet(capsys):
    result = check.unbroadcast(unbroadcast)
    out = capsys.readouterr().out
    assert out.startswith("✓ unbroadcast: passed")
    result._ipython_display_()  # shown as a cell's last value: not printed twice
    assert capsys.readouterr().out == ""
    quiet = check.unbroadcast(placeholder, quiet=True)
    assert capsys.readouterr().out == ""
    quiet._ipython_display_()
    assert "not done yet" in capsys.readouterr().out


def test_assert_passed_raises_with_the_feedback():
    assert check.unbroadcast(unbroadcast, quiet=True).assert_passed().passed
    with pytest.raises(AssertionError, match="added up"):
        check.unbroadcast(lambda g, s: g, quiet=True).assert_passed()
    result = check.unbroadcast(placeholder, quiet=True)
    assert not result and isinstance(result, CheckResult)


# ----------------------------------------------------------------------------------------
# The demos run with the right answers and with placeholders, and never raise
# ----------------------------------------------------------------------------------------

def test_norm_ratio_table_matches_n_plus_2(capsys):
    rows = demo.norm_ratio_table(forward_gradient, mean_sq_norm, dims=(3, 10), n_samples=1500)
    for n, ratio, theory in rows:
        assert theory == n + 2
        assert abs(ratio - theory) < 0.15 * theory
    assert demo.norm_ratio_table(placeholder, placeholder, dims=(3,))[0][1] is None
    assert "not done yet" in capsys.readouterr().out


def test_contraction_run_shows_backward_sgd_contracting(capsys):
    run = demo.contraction_run(compose_backward, backward_iterates, n_steps=30, lr=0.2)
    rho_backward = contraction_factor(run["backward"][0])
    rho_forward = contraction_factor(run["forward"][0])
    assert abs(rho_backward - 0.8) < 0.05
    assert rho_forward > 0.9
    assert demo.contraction_run(compose_backward, placeholder)["backward"] is None
    assert "not done yet" in capsys.readouterr().out


def test_draws_fill_a_figure():
    from matplotlib.figure import Figure

    run = demo.contraction_run(compose_backward, placeholder, n_steps=10)
    fig = demo.draw_contraction(Figure(), run)
    assert fig.axes and fig.axes[0].lines
    results = demo.compare_training(init_sg_module, bootstrap_target, make_sg_update(),
                                    steps=60)
    fig = demo.draw_training(Figure(), results)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 3
