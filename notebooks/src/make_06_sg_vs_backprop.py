"""Build notebooks/06_sg_vs_backprop.ipynb (without outputs).

    python notebooks/src/make_06_sg_vs_backprop.py           # rewrite the notebook
    python notebooks/src/make_06_sg_vs_backprop.py --check   # exit 1 if it is out of date

Edit the cells here, not in the .ipynb. Answers to the closing questions live in
docs/instructor/06_sg_vs_backprop.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbbuild
import nbformat

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "notebooks" / "06_sg_vs_backprop.ipynb"

CELLS = [
    ("md", """\
# 06 · When does a synthetic gradient beat backprop?

Backprop gives an *unbiased* gradient, so it is easy to assume it is always the best estimate
we can have. This notebook measures that assumption. You will:

- compute the **exact** gradient of an expected reward (no sampling at all), so that the error
  of every estimate can be measured rather than guessed;
- compare **backprop (BP)**, which pushes each *sampled* feedback through the chain rule, with a
  **synthetic gradient (SG)**, a small regressor that predicts the expected feedback at a hidden
  layer from past samples, and with their mixture λ·SG + (1 − λ)·BP;
- split each estimate's squared error into **bias² + variance**, and see when SG's smaller
  variance is worth its bias;
- find the two conditions SG needs — noisy feedback and *local sufficiency* — and break the
  second one on purpose;
- train a bandit policy and a CartPole controller with either kind of feedback.

**What the paper says and what we built.** Zhang, Tang & Koyejo (2026), *Is Backpropagation
Optimal? When Synthetic Gradients Improve Sample Efficiency* (arXiv:2605.27946) state, in their
abstract and introduction: gradient estimation on a graph that ends in a random *feedback
vector*; backprop is like a Monte Carlo estimator and synthetic gradients like temporal-
difference learning; SG can have lower mean squared error when there is gradient uncertainty
and local information suffices; the advantage can be arbitrarily large; experiments on
contextual bandits and RL. That is all we could read: no numbers, no code. **Everything below —
the bandit, the pooling construction, the protocols, the numbers — is our reconstruction**, and
where we say "we measure", it is this notebook's measurement, not the paper's."""),
    ("code", """\
import matplotlib.pyplot as plt
import numpy as np

import gradlab.widgets
from gradlab.methods import policy_gradient as pg
from gradlab.methods import sample_efficiency as se
from gradlab.plots import sample_efficiency as plots

np.set_printoptions(precision=3, suppress=True)"""),
    ("md", """\
## 1 · A two-stage policy and its exact gradient

A contextual bandit: a context x arrives, the policy picks one of K = 3 arms, the reward is
r = μ(x, a) + σ ε with Gaussian noise of size σ. The policy is a two-stage network

x → h = tanh(W₁ x) → y = W₂ h → π = softmax(y) → a ~ π.

Its **feedback vector** is v = r (e_a − π) = r ∇_y log π(a | y) (REINFORCE). Pushed back one
layer, t = W₂ᵀ v is the signal at h; the lower layer's gradient is (∂h/∂W₁)ᵀ t.

The contexts come in G = 4 groups of m = 8, and — at the point where we measure — the lower
layer sends the m contexts of a group to the **same** hidden state h (their columns of W₁ are
equal). Keep that in mind: it is what SG will exploit.

The exact gradient of J = E[r] needs no sampling: the 32 contexts are equally likely, and
E[v | x] = Σ_a π_a μ(x, a)(e_a − π) sums over the 3 arms (the noise has mean 0). We check it
two ways: against central finite differences of J, and against the average of 200 000 sampled
backprop gradients."""),
    ("code", """\
bandit = se.make_bandit("discrete", K=3, groups=4, m=8)
G = se.true_gradient(bandit)                  # the lower layer's gradient, W1 flattened
print("exact gradient: ", G.size, "numbers, norm", round(float(np.linalg.norm(G)), 4))

# finite differences of the exact expected reward, for a few entries of W1
eps, entries = 1e-6, [(0, 0), (3, 9), (7, 30)]
for i, j in entries:
    plus = {k: v.copy() for k, v in bandit.params.items()}
    minus = {k: v.copy() for k, v in bandit.params.items()}
    plus["W1"][i, j] += eps
    minus["W1"][i, j] -= eps
    fd = (se.expected_reward(bandit, plus) - se.expected_reward(bandit, minus)) / (2 * eps)
    print(f"W1[{i},{j}]: exact {G[i * bandit.d + j]: .6f}   finite differences {fd: .6f}")

rng = np.random.default_rng(0)
samples = se.draw(bandit, 200_000, rng)
t = se.feedback_signal(samples, 3.0, bandit.params["W2"])     # sampled feedback, σ = 3
average = se.lower_gradient(samples["X"], samples["h"], t, bias=False)
print("relative error of the 200 000-sample BP average:",
      round(float(np.linalg.norm(average - G) / np.linalg.norm(G)), 3))"""),
    ("md", """\
Even 200 000 samples leave a visible error with σ = 3: the sampled feedback is very noisy. That
is the regime this notebook is about.

## 2 · BP against SG, sample by sample

- **BP** averages (∂h/∂W₁)ᵀ tₙ over the N samples: unbiased, and it carries all the noise.
- **SG** fits a linear module s(h) = h A + b to the pairs (hₙ, tₙ) (ridge regression, the same
  module form as `gradlab.methods.synthetic_gradients`) and averages (∂h/∂W₁)ᵀ s(hₙ) instead.

**Protocol (which samples the SG model saw): here the SG model is fitted on the same N samples
BP uses.** Since m contexts share each h, s(h) averages the feedback of m contexts — less
noise — while the Jacobian (∂h/∂W₁) still routes the update to each context's own column.

We repeat everything over 60 independent runs to measure MSE = E‖Ĝ − G‖², bias² = ‖E Ĝ − G‖²
and variance (errors are divided by ‖G‖²)."""),
    ("code", """\
curves = se.mse_vs_samples(bandit, sigma=3.0, n_list=(8, 16, 32, 64, 128, 256, 512, 1024),
                           runs=60, lams=(0.0, 0.5, 1.0))
fig = plt.figure(figsize=(6.5, 4), layout="constrained")
plots.draw_mse_curves(fig, curves)
fig.suptitle(plots.protocol_note("same"), fontsize=9)
plt.show()
bp, mixed, sg = curves["mse"][:, -1]
print(f"N = 1024: MSE_BP / MSE_SG = {bp / sg:.1f}, "
      f"MSE_BP / MSE_mix(λ=0.5) = {bp / mixed:.1f}")"""),
    ("md", """\
## 3 · The ratio grows with σ — up to a ceiling set by m

Each estimate is A + σB (the noise enters linearly, even through the SG fit), so with the SG
fitted on the same samples **both** errors grow like a + bσ², and the ratio MSE_BP / MSE_SG
rises with σ toward the ceiling b_BP / b_SG. That ceiling is set by the construction: with m
contexts per hidden state it is about m — and it grows without bound as m does. With m = 1 the
in-sample SG *is* BP (each context's own average), and the ratio is exactly 1."""),
    ("code", """\
ratio = se.ratio_vs_sigma(ms=(1, 2, 4, 8, 16), sigmas=(0.0, 0.3, 1.0, 3.0, 10.0, 30.0),
                          n=256, runs=30)
fig = plt.figure(figsize=(7, 4), layout="constrained")
plots.draw_ratio(fig, ratio)
fig.suptitle(plots.protocol_note("same", 256), fontsize=9)
plt.show()
print("sigma:       ", ratio["sigmas"])
for m, row, ceiling in zip(ratio["ms"], ratio["ratio"], ratio["ceiling"]):
    print(f"m = {m:2d}: ratio", np.round(row, 2), f"  ceiling {ceiling:.1f}")"""),
    ("md", """\
## 4 · Break local sufficiency and SG stops winning

SG predicts the expected feedback *from h alone*. That is only right if h carries everything
the expected feedback depends on. Now let the reward also depend on which half of its group a
context belongs to — a bit the shared hidden state does not carry. The SG model averages over
it: a **bias that more samples do not remove**, while BP's error keeps falling like 1/N."""),
    ("code", """\
broken = se.make_bandit("discrete", m=8, sufficient=False)
kw = dict(sigma=1.0, n_list=(16, 64, 256, 1024), runs=60, lams=(0.0, 1.0))
ok_r = se.mse_vs_samples(bandit, **kw)
br_r = se.mse_vs_samples(broken, **kw)
for name, r in (("sufficient", ok_r), ("broken    ", br_r)):
    print(name, "MSE_BP / MSE_SG at N =", r["n"], ":", np.round(r["mse"][0] / r["mse"][1], 2))
lam = se.mse_vs_lambda(broken, sigma=1.0, n=1024, runs=60)
fig = plt.figure(figsize=(6.5, 3.6), layout="constrained")
plots.draw_bias_variance(fig, lam, title="sufficiency broken, σ = 1, N = 1024")
fig.suptitle(plots.protocol_note("same", 1024), fontsize=9)
plt.show()"""),
    ("md", """\
Below 1 means backprop is better. With the bit hidden from h, SG wins only while N is small
(its variance advantage still dominates); once BP's variance has fallen under SG's bias, BP
wins. The bars show the mixture's compromise: bias² grows like λ², the variance falls, and the
best λ lies in between.

## 5 · Explore

Change σ, the number of samples, m, the contexts (continuous contexts share no hidden state:
only the linear regressor pools), the local-sufficiency switch and the protocol, then press
**Run** (about 2–5 s). **λ**, the log scale and relative errors only redraw: the estimates of
every run are cached, and mixing is linear. The protocol "SG saw past samples only" predicts
each sample's gradient from a model fitted on the samples before it (predict, then update)."""),
    ("code", """\
gradlab.widgets.sg_vs_bp_explorer()"""),
    ("md", """\
## 6 · Does a better gradient estimate learn faster?

Now we train: each step draws a batch of 16 contexts, and the lower layer moves along
λ·SG + (1 − λ)·BP (plain gradient ascent; the upper layer is held fixed so the curves isolate
the lower layer's feedback). Here the SG module is the feedback module's `SyntheticGradient`,
updated by Adam after each batch: **protocol: it predicts from past batches only**. Curves are
the exact regret (best arm's reward minus the policy's expected reward) over 10 seeds, with
95 % confidence bands. Try breaking local sufficiency: pure SG then cannot separate the two
halves of a group, and its regret stalls."""),
    ("code", """\
gradlab.widgets.bandit_learning_explorer()"""),
    ("md", """\
## 7 · A real environment: CartPole

Gymnasium's `CartPole-v1` (nobody here wrote it): push a cart left or right to keep a pole up,
one point per step, 500 at most. REINFORCE with a 32-unit tanh hidden layer: the upper layer
always gets its sampled gradient; the lower layer gets either BP or an SG module (one hidden
layer, the action as context, fitted online on past batches). We train 3 seeds of each for
10 000 environment steps — a short run, to keep the notebook quick
(`gradlab run sg-sample-efficiency/cartpole` does 5 and more steps; add `--quick` to shorten).
The dotted line is the random policy."""),
    ("code", """\
random_mean, random_std = pg.random_policy_return(episodes=100)
cart = pg.learning_curves(("bp", "sg"), seeds=3, steps=10_000, grid_points=20)
fig = plt.figure(figsize=(7, 4), layout="constrained")
plots.draw_returns(fig, cart, random_return=random_mean)
plt.show()
for i, method in enumerate(cart["methods"]):
    print(f"{method.upper()}: final return {cart['returns'][i, :, -1].mean():.0f} "
          f"(random policy {random_mean:.0f})")"""),
    ("md", """\
Both kinds of feedback train the controller well above the random policy. On CartPole we do not
see SG learn faster — and section 3 says why to expect little: each state has its own hidden
state, nothing is pooled, and an SG that averages over past batches of a changing policy is
also out of date. With reward noise added (`gradlab run sg-sample-efficiency/cartpole`, second
panel) the feedback is noisier; check there whether the gap changes.

**What we can and cannot claim.** We show, with exact errors: SG's gradient MSE is below BP's
when the feedback is noisy and local sufficiency holds; the ratio's ceiling grows with the
pooling factor m, without bound; SG loses when local sufficiency breaks; the mixture trades
bias for variance. The paper states the same qualitative conditions; whether its constructions
and numbers match ours we cannot tell (its numbers are unverified here).

## Questions to think about

1. With m = 1 and the SG fitted on the same samples, SG and BP gave *identical* estimates.
   Why? What changes if the SG model is fitted on other samples (for example, the past)?
2. The ratio MSE_BP / MSE_SG levelled off as σ grew. Which quantity sets the ceiling, and
   how would you build an example where SG is a thousand times better?
3. When local sufficiency is broken, which λ would you pick if you had 10 samples, and which
   with 10 000? Why does the answer depend on N?"""),
]


def build_notebook() -> nbformat.NotebookNode:
    return nbbuild.build(CELLS, "sgbp")


def main(argv=None) -> int:
    return nbbuild.write_or_check(TARGET, build_notebook(), argv, __doc__.splitlines()[0],
                                  Path(__file__).name)


if __name__ == "__main__":
    sys.exit(main())
