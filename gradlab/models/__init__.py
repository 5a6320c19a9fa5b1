"""Models and data: the MLP, the digits data set, and the optimisation test functions.

    mlp.py             the MLP in gradlab.numpy and as hand-written numpy passes
    datasets.py        sklearn's digits (shipped with sklearn: no download), batches, one-hot
    test_functions.py  Beale, Rosenbrock and friends, with their minima
"""
