"""Forward mode on plain numbers: dual numbers a + a'ε with ε² = 0.

A `Dual` carries a value and a tangent (the derivative along one chosen input direction).
Arithmetic on duals is arithmetic on truncated polynomials in ε:

    (a + a'ε) + (b + b'ε) = (a + b) + (a' + b')ε
    (a + a'ε)(b + b'ε)    = ab + (a'b + ab')ε        (the ε² term vanishes: product rule)
    f(a + a'ε)            = f(a) + f'(a) a'ε          (Taylor to first order: chain rule)

so the ε-part of f(x + 1ε) is f'(x).  Example:  `derivative(lambda x: x * sin(x), 2.0)`.
The array version of this idea is `gradlab.ad.forward_mode` (`gradlab.jvp`).
"""

import math


class Dual:
    """value + tangent·ε, with ε² = 0."""

    def __init__(self, value, tangent=0.0):
        self.value, self.tangent = float(value), float(tangent)

    def __add__(self, other):
        other = lift(other)
        return Dual(self.value + other.value, self.tangent + other.tangent)

    def __mul__(self, other):
        other = lift(other)
        return Dual(self.value * other.value,
                    self.tangent * other.value + self.value * other.tangent)

    def __truediv__(self, other):  # (a/b)' = (a'b - ab') / b²
        other = lift(other)
        return Dual(self.value / other.value,
                    (self.tangent * other.value - self.value * other.tangent) / other.value ** 2)

    def __pow__(self, n):  # a constant exponent n: (aⁿ)' = n aⁿ⁻¹ a'
        return Dual(self.value ** n, n * self.value ** (n - 1) * self.tangent)

    def __neg__(self):
        return Dual(-self.value, -self.tangent)

    def __sub__(self, other):
        return self + (-lift(other))

    def __rsub__(self, other):
        return lift(other) - self

    def __rtruediv__(self, other):
        return lift(other) / self

    __radd__, __rmul__ = __add__, __mul__

    def __repr__(self):
        return f"Dual({self.value!r}, {self.tangent!r})"


def lift(x):
    """A constant c as the dual number c + 0ε (its derivative is 0)."""
    return x if isinstance(x, Dual) else Dual(x, 0.0)


def sin(x):
    x = lift(x)
    return Dual(math.sin(x.value), math.cos(x.value) * x.tangent)


def cos(x):
    x = lift(x)
    return Dual(math.cos(x.value), -math.sin(x.value) * x.tangent)


def exp(x):
    x = lift(x)
    return Dual(math.exp(x.value), math.exp(x.value) * x.tangent)


def log(x):
    x = lift(x)
    return Dual(math.log(x.value), x.tangent / x.value)


def tanh(x):
    x = lift(x)
    t = math.tanh(x.value)
    return Dual(t, (1.0 - t * t) * x.tangent)


def derivative(f, x):
    """f'(x) for a function of one number: run f on x + 1ε and read off the ε-part."""
    return lift(f(Dual(x, 1.0))).tangent  # lift: f may ignore x and return a constant
