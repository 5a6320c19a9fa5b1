"""The automatic-differentiation core: primitives, forward mode, reverse mode, transforms.

    core.py          Primitive (a numpy function + its JVP and VJP rules), Tracer, trace levels
    numpy.py         gradlab.numpy: every primitive, its value, JVP and VJP side by side
    forward_mode.py  dual numbers on arrays: jvp
    reverse_mode.py  the tape and the backward sweep: vjp
    transforms.py    grad, value_and_grad, jacfwd, jacrev, hessian, hvp
    tree.py, inputs.py, testing.py   nested parameters, input checks, check_grads
    scalar_forward.py, scalar_reverse.py   the readable scalar engines (Dual; micrograd's Value)
    graph.py, cost.py   drawn graphs and step-by-step sweeps; the cost of Jacobians and tapes

Knows nothing of the methods, models, plots or widgets.
"""
