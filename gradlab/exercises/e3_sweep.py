"""Exercise 3 checks: the reverse sweep of the scalar engine `gradlab.ad.scalar_reverse`.

Students write `topological_order(root)` and `backward(root)` for `gradlab.ad.scalar_reverse.Value`
(whose operations already carry their `_backward` closures), then the closure of one operation,
`mul(a, b)`, themselves. Each hidden graph is built twice: once for the student's function and
once for the reference (`gradlab.ad.scalar_reverse.topological_order` / `backward`), so the two
never share grads. Wrong answers are compared with what known wrong sweeps produce (closures in
the wrong order, a value's closure run once per path, a missing seed, `=` instead of `+=`).
"""

from __future__ import annotations

import math

from ..ad.scalar_reverse import Value
from ..ad.scalar_reverse import backward as _ref_backward
from ..ad.scalar_reverse import topological_order as _ref_order
from .runner import (
    Failed,
    NotDone,
    call,
    describe,
    fmt,
    not_done_reason,
    outcome_or_raise,
    run_check,
)

# ----------------------------------------------------------------------------------------
# Hidden graphs: each builder returns (root, {name: Value}) with fresh Values every call.
# ----------------------------------------------------------------------------------------


def _single():
    a = Value(1.5)
    return a, {"a": a}


def _reused():  # the case that breaks naive sweeps: a used twice, b used twice
    a = Value(3.0)
    b = a + a
    c = b + b
    return c, {"a": a, "b": b, "c": c}


def _chain():
    a = Value(0.5)
    b = a * 2.0
    c = b.tanh()
    d = c.exp()
    return d, {"a": a, "b": b, "c": c, "d": d}


def _diamond():
    x, y = Value(2.0), Value(-1.5)
    u = x * y
    v = u + x
    w = u * v
    return w, {"x": x, "y": y, "u": u, "v": v, "w": w}


def _neuron():
    x1, x2, w1, w2, b = Value(2.0), Value(0.0), Value(-3.0), Value(1.0), Value(6.881)
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n, "o": o}


def _deep_reuse():  # x feeds every level: a long chain with a value used at every step
    x = Value(0.3)
    h = x
    named = {"x": x}
    for k in range(30):
        h = (h * x + x).tanh()
        named[f"h{k + 1}"] = h
    return h, named


GRAPHS = [("a single input", _single), ("reused node: b = a + a, c = b + b", _reused),
          ("a chain a → b → c → d", _chain), ("a diamond: w = (x·y)·(x·y + x)", _diamond),
          ("a tanh neuron", _neuron), ("a deep chain reusing x at every level", _deep_reuse)]


def _name_of(named):
    ids = {id(v): k for k, v in named.items()}
    return lambda v: ids.get(id(v), "an unnamed constant" if not v.parents else "a value")


# ----------------------------------------------------------------------------------------
# topological_order
# ----------------------------------------------------------------------------------------

def _check_order(fn, timeout):
    reason = not_done_reason(fn, "topological_order")
    if reason:
        raise NotDone(reason)
    for case, build in GRAPHS:
        root, named = build()
        name = _name_of(named)
        got = outcome_or_raise(call(fn, root, timeout=timeout), "topological_order", case)
        if got is None:
            raise NotDone("`topological_order` returned None. Is its body still `...`, or is a "
                          "`return` missing?")
        if isinstance(got, set | frozenset):
            raise Failed(f"case '{case}': you returned a set, which has no order. Return a list "
                         "in which every value comes after its parents.", mistake="set",
                         case=case)
        if not isinstance(got, list | tuple):
            try:
                got = list(got)
            except TypeError:
                raise Failed(f"case '{case}': topological_order returned {describe(got)}; return "
                             "a list of Values.", mistake="wrong-type", case=case) from None
        not_values = [x for x in got if not isinstance(x, Value)]
        if not_values:
            raise Failed(f"case '{case}': the list contains {describe(not_values[0])}; it should "
                         "hold the Value objects themselves (not their .value numbers or names).",
                         mistake="not-values", case=case)
        seen = {}
        for v in got:
            seen[id(v)] = seen.get(id(v), 0) + 1
        dup = [v for v in got if seen[id(v)] > 1]
        if dup:
            raise Failed(f"case '{case}': {name(dup[0])} appears {seen[id(dup[0])]} times in your "
                         "order. A value used twice is still one node: keep a `visited` set and "
                         "add each value once.", mistake="duplicates", case=case)
        expected = _ref_order(root)
        missing = [v for v in expected if id(v) not in seen]
        if missing:
            leaf = "" if missing[0].parents else " (an input: inputs belong in the order too)"
            raise Failed(f"case '{case}': {name(missing[0])}{leaf} is missing from your order; "
                         "it must contain every value the root depends on, and the root.",
                         mistake="missing", case=case)
        reachable = {id(v) for v in expected}
        extra = [v for v in got if id(v) not in reachable]
        if extra:
            raise Failed(f"case '{case}': your order contains a value the root does not depend "
                         "on.", mistake="extra", case=case)
        position = {id(v): k for k, v in enumerate(got)}
        for v in got:
            for p in v.parents:
                if position[id(p)] > position[id(v)]:
                    raise Failed(
                        f"case '{case}': {name(v)} comes before {name(p)}, but {name(v)} was "
                        f"computed from {name(p)}. Every value must come after its parents "
                        "(append a value only after all its parents have been appended).",
                        mistake="parent-after-child", case=case)
        if got[-1] is not root:
            raise Failed(f"case '{case}': the root should come last.", mistake="root-not-last",
                         case=case)
    return (f"passed all {len(GRAPHS)} graphs: each value once, after its parents, including the "
            "reused node.")


def topological_order(fn, *, quiet=False, timeout=10.0):
    """Check topological_order(root) -> list of every Value root depends on, parents first."""
    return run_check("topological_order", _check_order, fn, timeout, quiet=quiet)


# ----------------------------------------------------------------------------------------
# backward: compare with the reference and with known wrong sweeps
# ----------------------------------------------------------------------------------------

def _sweep_forward_order(root):  # closures run root-last: nothing has its grad yet
    order = _ref_order(root)
    root.grad = 1.0
    for v in order:
        v._backward()


def _sweep_per_path(root):  # recursion without a visited set: a closure per path
    root.grad = 1.0

    def visit(v):
        v._backward()
        for p in v.parents:
            visit(p)
    visit(root)


def _sweep_no_seed(root):
    for v in reversed(_ref_order(root)):
        v._backward()


_WRONG_SWEEPS = [
    ("forward-order", _sweep_forward_order,
     "you ran the closures in topological order (inputs first). Run them in *reverse* "
     "topological order, root first, so that a value's grad is complete before it is passed on"),
    ("closure-per-path", _sweep_per_path,
     "a value's closure ran more than once (once per path to it), so its contribution was "
     "passed on several times. Visit each value once, in reverse topological order"),
    ("no-seed", _sweep_no_seed,
     "every grad stayed 0: seed the sweep with root.grad = 1 (d root / d root) before running "
     "the closures"),
]


def _count_closure_calls(root):
    """Wrap every closure of the graph so we can tell whether the student's sweep ran any."""
    calls = []
    for v in _ref_order(root):
        def counted(inner=v._backward):
            calls.append(1)
            inner()
        v._backward = counted
    return calls


def _grads(named):
    return {k: v.grad for k, v in named.items()}


def _same(a, b):
    return all(math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-12) for k in a)


def _check_backward(fn, timeout):
    reason = not_done_reason(fn, "backward")
    if reason:
        raise NotDone(reason)
    for case, build in GRAPHS:
        root, named = build()
        calls = _count_closure_calls(root)
        out = call(fn, root, timeout=timeout)
        if out.ok and out.value is Ellipsis:
            raise NotDone("`backward` returned `...` (the placeholder): write its body.")
        outcome_or_raise(out, "backward", case)
        got = _grads(named)
        ref_root, ref_named = build()
        _ref_backward(ref_root)
        expected = _grads(ref_named)
        if _same(got, expected):
            continue
        if all(g == 0.0 for g in got.values()):
            if not calls:
                raise NotDone("after your backward every grad is still 0 and no value's "
                              "_backward closure ran — is its body still `...`?")
            raise Failed(f"case '{case}': every grad stayed 0, though your backward ran the "
                         "closures.\n  hint: seed the sweep with root.grad = 1 (d root / d root) "
                         "before running the closures.", mistake="no-seed", case=case)
        mistake, hint = None, ("run each value's _backward() once, in reverse topological order, "
                               "after setting root.grad = 1")
        for wrong_name, sweep, wrong_hint in _WRONG_SWEEPS:
            w_root, w_named = build()
            sweep(w_root)
            if _same(got, _grads(w_named)):
                mistake, hint = wrong_name, wrong_hint
                break
        bad = next(k for k in got if not math.isclose(got[k], expected[k], rel_tol=1e-9,
                                                      abs_tol=1e-12))
        root_name = _name_of(named)(root)
        lines = "\n".join(f"    d{root_name}/d{k}: expected {fmt(expected[k])}, got {fmt(got[k])}"
                          for k in list(got)[:6])
        raise Failed(f"case '{case}': d{root_name}/d{bad} came out {fmt(got[bad])} instead of "
                     f"{fmt(expected[bad])}.\n{lines}\n  hint: {hint}.", mistake=mistake,
                     case=case)
    return (f"passed all {len(GRAPHS)} graphs; with b = a + a and c = b + b you get dc/da = 4: "
            "every use of a value adds its contribution.")


def backward(fn, *, quiet=False, timeout=10.0):
    """Check backward(root): afterwards every v.grad holds d root / d v."""
    return run_check("backward", _check_backward, fn, timeout, quiet=quiet)


# ----------------------------------------------------------------------------------------
# mul(a, b): an operation with its closure
# ----------------------------------------------------------------------------------------

def _mul_cases():
    def plain():
        x, y = Value(3.0), Value(-2.0)
        return {"x": x, "y": y}, lambda mul: mul(x, y)

    def square():
        x = Value(3.0)
        return {"x": x}, lambda mul: mul(x, x)

    def downstream():  # out.grad is not 1 here
        x, y = Value(1.5), Value(4.0)
        return {"x": x, "y": y}, lambda mul: mul(x, y) * 3.0

    def cube():
        x, y = Value(2.0), Value(0.5)
        return {"x": x, "y": y}, lambda mul: mul(mul(x, y), x)

    return [("x·y", plain), ("x·x (the same value twice)", square),
            ("3·(x·y) (out.grad is 3)", downstream), ("(x·y)·x", cube)]


def _ref_mul(a, b):
    return a * b


def _check_mul(fn, timeout):
    reason = not_done_reason(fn, "mul")
    if reason:
        raise NotDone(reason)
    for case, make in _mul_cases():
        named, expr = make()
        out = outcome_or_raise(call(expr, fn, timeout=timeout), "mul", case)
        if out is None:
            raise NotDone("`mul` returned None. Is its body still `...`, or is a `return` "
                          "missing?")
        if not isinstance(out, Value):
            raise Failed(f"case '{case}': mul returned {describe(out)}; it must return a new "
                         "Value (Value(a.value * b.value, (a, b), '*')).", mistake="wrong-type",
                         case=case)
        ref_named, ref_expr = make()
        ref = ref_expr(_ref_mul)
        if not math.isclose(out.value, ref.value, rel_tol=1e-12):
            raise Failed(f"case '{case}': the value is {fmt(out.value)}, expected "
                         f"{fmt(ref.value)}.", mistake="wrong-value", case=case)
        sweep = call(_ref_backward, out, timeout=timeout)
        if not sweep.ok:
            raise Failed(f"case '{case}': the backward sweep through your mul raised "
                         f"{type(sweep.error).__name__}: {sweep.error}\n    at {sweep.where}\n"
                         "  hint: the closure takes no arguments and returns nothing; it adds "
                         "to a.grad and b.grad.", mistake="exception", case=case)
        _ref_backward(ref)
        got, expected = _grads(named), _grads(ref_named)
        if _same(got, expected):
            continue
        if all(g == 0.0 for g in got.values()):
            if any(p is None for p in out.parents) or len(out.parents) == 0:
                raise Failed(f"case '{case}': every grad is 0: give the output its parents, "
                             "Value(..., (a, b), '*'), so the sweep can reach a and b.",
                             mistake="no-parents", case=case)
            raise Failed(f"case '{case}': every grad is 0: attach your closure to the output "
                         "(out._backward = _backward) so the sweep can run it.",
                         mistake="closure-not-attached", case=case)
        lines = "\n".join(f"    d/d{k}: expected {fmt(expected[k])}, got {fmt(got[k])}"
                          for k in got)
        first = next(iter(got))
        mistake, hint = None, "d(a·b)/da = b and d(a·b)/db = a, each times out.grad, added with +="
        if case.startswith("x·x"):
            if math.isclose(got["x"], expected["x"] / 2):
                mistake, hint = "overwrite", (
                    f"d(x·x)/dx came out {fmt(got['x'])} instead of {fmt(expected['x'])}: x "
                    "receives two contributions (as a and as b); they must be added (+=), "
                    "not overwritten (=)")
        elif case.startswith("3·"):
            if all(math.isclose(got[k] * 3, expected[k]) for k in got):
                mistake, hint = "forgot-out-grad", (
                    "your grads miss the factor out.grad (3 here): the chain rule multiplies the "
                    "local derivative by the grad arriving at the output")
        if mistake is None and case.startswith("x·y"):
            x, y = named["x"], named["y"]
            if math.isclose(got["x"], x.value) and math.isclose(got["y"], y.value):
                mistake, hint = "swapped", ("the grads are swapped: d(a·b)/da is b (not a), "
                                            "and d(a·b)/db is a")
        raise Failed(f"case '{case}': wrong grads (d/d{first} came out {fmt(got[first])}).\n"
                     f"{lines}\n  hint: {hint}.", mistake=mistake, case=case)
    return "passed all 4 cases, including x·x, where both contributions must be added."


def mul(fn, *, quiet=False, timeout=10.0):
    """Check mul(a, b) -> Value with a closure adding b·out.grad to a.grad and a·out.grad to b."""
    return run_check("mul", _check_mul, fn, timeout, quiet=quiet)
