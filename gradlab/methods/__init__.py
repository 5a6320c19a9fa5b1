"""Training methods that replace or reorder backpropagation, one module per family.

    forward_gradient.py     forward-gradient descent (Baydin et al. 2022)
    feedback.py             backprop, feedback alignment, DFA, kickback, DNI and cDNI in one loop
    synthetic_gradients.py  synthetic-gradient modules (Jaderberg et al. 2017), the pipeline
    sample_efficiency.py    gradient MSE of SG vs backprop on contextual bandits
    policy_gradient.py      REINFORCE on CartPole with a BP, SG or mixed lower layer
    backward_sgd.py         SGD steps composed newest-first (backward SGD, Dherin et al.)

Pure functions on arrays; they use the AD core and the models, and know nothing of plots.
"""
