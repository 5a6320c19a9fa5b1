"""The errors gradlab raises: each says what went wrong in the student's terms."""


class GradlabError(Exception):
    """Base class for every error gradlab raises on purpose."""


class UnsupportedOperationError(GradlabError, TypeError):
    """An operation that cannot be differentiated (or traced) in the current mode."""


class ShapeError(GradlabError, ValueError):
    """Arrays whose shapes do not fit together; the message names the shapes."""


class NonScalarOutputError(GradlabError, TypeError):
    """`grad` was asked for the gradient of a function whose output is not a scalar."""


class IntegerInputError(GradlabError, TypeError):
    """A derivative was asked with respect to an integer (or boolean) input."""


class GradientCheckError(GradlabError, AssertionError):
    """`gradlab.testing.check_grads` found a derivative that disagrees with finite differences."""
