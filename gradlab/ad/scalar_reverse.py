"""Reverse mode on plain numbers, micrograd-sized: a `Value` remembers how it was made.

Every operation builds its output `Value` and attaches a small closure, `_backward`, that knows
the local derivatives: it adds  (output's grad) × ∂output/∂parent  to each parent's `grad`.
The reverse sweep then has two steps, each a function you can call on its own:

1. `topological_order(root)`: every value that `root` depends on, each after its parents;
2. `backward(root)`: seed ∂root/∂root = 1 and run the closures in *reverse* topological order,
   so that a value's grad is complete (all its uses have reported) before it is passed on.

Contributions are *added* (`+=`), never assigned: a value used twice gets two contributions.
With  b = a + a;  c = b + b  we get dc/db = 2 and dc/da = 4.

Calling backward twice: the grads of the inputs (values with no parents) *accumulate* across
calls, as in PyTorch, so a second `c.backward()` doubles `a.grad` to 8; call
`zero_grad(c)` in between. Intermediate grads are reset at the start of every sweep.

The array version of this idea is `gradlab.ad.reverse_mode` (`gradlab.grad`, `gradlab.vjp`).
"""

import math


class Value:
    """A number, its gradient, the values it was computed from, and how to pass a grad back."""

    def __init__(self, value, parents=(), op=""):
        self.value = float(value)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.op = op
        self._backward = lambda: None  # an input (leaf) has nothing to pass on

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.value + other.value, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.value * other.value, (self, other), "*")

        def _backward():
            self.grad += other.value * out.grad
            other.grad += self.value * out.grad
        out._backward = _backward
        return out

    def __pow__(self, n):  # n is a plain number
        out = Value(self.value ** n, (self,), f"**{n}")

        def _backward():
            self.grad += n * self.value ** (n - 1) * out.grad
        out._backward = _backward
        return out

    def _unary(self, value, local_derivative, op):
        """An output depending on self alone, with d(output)/d(self) = local_derivative."""
        out = Value(value, (self,), op)

        def _backward():
            self.grad += local_derivative * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.value)
        return self._unary(t, 1.0 - t * t, "tanh")

    def exp(self):
        e = math.exp(self.value)
        return self._unary(e, e, "exp")

    def log(self):
        return self._unary(math.log(self.value), 1.0 / self.value, "log")

    def relu(self):  # relu'(0) = 0, as in gradlab.numpy
        return self._unary(max(self.value, 0.0), float(self.value > 0), "relu")

    # Derived operations: no new derivative rules needed.
    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self * other ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return Value(other) - self

    def __rtruediv__(self, other):
        return Value(other) / self

    def backward(self):
        """Fill in d(self)/dv in v.grad for every value v that self depends on."""
        backward(self)

    def __repr__(self):
        return f"Value(value={self.value:.6g}, grad={self.grad:.6g})"


def topological_order(root):
    """Every Value reachable from `root`, each listed after all of its parents (root last).

    A depth-first search: a value is appended once all its parents have been appended. It uses
    an explicit stack instead of recursion, so long chains do not hit Python's recursion limit.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        v, parents_done = stack.pop()
        if parents_done:
            order.append(v)
        elif v not in visited:
            visited.add(v)
            stack.append((v, True))  # come back to v after its parents
            # pushed in reverse, so the first parent is visited first
            stack.extend((p, False) for p in reversed(v.parents) if p not in visited)
    return order


def backward(root):
    """The reverse sweep: d(root)/dv accumulated into v.grad for every v that root depends on."""
    order = topological_order(root)
    for v in order:
        if v.parents:  # intermediate values start each sweep from zero
            v.grad = 0.0
    root.grad += 1.0  # d root / d root
    for v in reversed(order):  # every use of v has reported before v passes its grad on
        v._backward()


def zero_grad(root):
    """Set the grad of `root` and of every value it depends on to zero."""
    for v in topological_order(root):
        v.grad = 0.0
