"""How much a classifier knows that it does not know: predictive distributions, entropy, calibration.

For any classifier (a plain network or a Bayesian one):

    p = predictive_probabilities(model, x, samples=10)   averaged over 10 sampled networks (Bayes)
    predictive_entropy(p)                                 H[p] = −Σ_c p_c ln p_c per example, in nats
    expected_calibration_error(p, y)                      ECE over 15 equal-width confidence bins
    reliability(p, y)                                     the per-bin table a reliability diagram draws
    Calibration(x, y, samples=10)                         an evaluator reporting the three figures

**Predictive distribution.** A Bayesian network predicts p(y | x) = E_q(w)[p(y | x, w)], which
Bayes by backprop approximates by the mean of K networks sampled from q (Blundell et al. 2015,
section 3.2): p ≈ (1/K) Σₖ softmax(f(x; wₖ)). With ``samples=None`` the model's own forward is used
once (for a Bayesian layer, the mean weights μ); a deterministic model gives the same answer for any K.

**Expected calibration error** (Naeini, Cooper and Hauskrecht 2015; Guo, Pleiss, Sun and Weinberger,
"On calibration of modern neural networks", ICML 2017). The confidence of a prediction is its
largest probability, p̂ = max_c p_c. The confidences are split into B = 15 equal-width bins,
bin b = (b/B, (b+1)/B] (a confidence of 0 joins the first), and

    ECE = Σ_b (n_b / n) · |acc(b) − conf(b)|

where acc(b) is the fraction of the bin's predictions that are right and conf(b) their mean
confidence. A calibrated classifier is right 80 % of the time when it says 0.8, and has ECE 0.
"""

from __future__ import annotations

import numpy as np

from synaptica.checks import positive_int
from synaptica.errors import ShapeError
from synaptica.nn.bayes import sampled_weights
from synaptica.nn.module import Module
from synaptica.ops.softmax import softmax_array
from synaptica.random import SeedLike, as_generator
from synaptica.train.evaluate import predict

#: the number of confidence bins of the expected calibration error (Guo et al. 2017 use 15)
ECE_BINS = 15


def predictive_probabilities(model: Module, x: np.ndarray, samples: int | None = None, rng: SeedLike = 0,
                             logits: bool = True, batch_size: int = 1000) -> np.ndarray:
    """p(y | x) for every row of ``x``, (n, classes), as float64.

    Args:
        samples: None for one evaluation-mode pass (the mean weights of a Bayesian layer); K for the
            mean of the class probabilities of K networks sampled from the Bayesian layers.
        rng: seed or Generator of the sampled weights (the layers' training streams are not used),
            so the same seed gives the same probabilities.
        logits: the model outputs logits (softmax is applied); False when it outputs probabilities.
    """
    if samples is None:
        return _probabilities(predict(model, x, batch_size), logits)
    samples = positive_int("predictive_probabilities", "samples", samples)
    total = None
    with sampled_weights(model, as_generator(rng)):
        for _ in range(samples):
            p = _probabilities(predict(model, x, batch_size, workers=1), logits)  # one thread: ε in order
            total = p if total is None else total + p
    return total / samples


def _probabilities(output: np.ndarray, logits: bool) -> np.ndarray:
    output = np.asarray(output, dtype=np.float64)
    if output.ndim != 2:
        raise ShapeError(f"predictive_probabilities: a classifier's output is (batch, classes), got {output.shape}")
    return softmax_array(output, axis=1) if logits else output


def predictive_entropy(probabilities: np.ndarray) -> np.ndarray:
    """H = −Σ_c p_c ln p_c for each row (nats; 0 for a one-hot row, ln C for a uniform one)."""
    p = np.asarray(probabilities, dtype=np.float64)
    terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return -terms.sum(axis=1)


def reliability(probabilities: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> dict:
    """The table a reliability diagram draws (:func:`synaptica.viz.calibration.plot_reliability`).

    Per confidence bin (module docstring): ``edges`` (bins + 1), ``count``, ``confidence`` (mean
    confidence) and ``accuracy`` (fraction right), the last two NaN for an empty bin; and ``ece``,
    the expected calibration error over those bins.
    """
    bins = positive_int("reliability", "bins", bins)
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(y)
    if p.ndim != 2 or y.shape != (len(p),):
        raise ShapeError(f"reliability: probabilities (n, classes) and labels (n,) expected, got {p.shape} and {y.shape}")
    confidence = p.max(axis=1)
    correct = p.argmax(axis=1) == y
    index = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    count = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(index, confidence, bins) / count
        accuracy = np.bincount(index, correct.astype(np.float64), bins) / count
    filled = count > 0
    gaps = np.abs(accuracy[filled] - mean_confidence[filled])
    ece = float(np.sum(count[filled] * gaps) / max(len(y), 1))
    return {"edges": np.linspace(0.0, 1.0, bins + 1), "count": count, "confidence": mean_confidence,
            "accuracy": accuracy, "ece": ece}


def expected_calibration_error(probabilities: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE = Σ_b (n_b / n) |acc(b) − conf(b)| over ``bins`` equal-width confidence bins (module docstring)."""
    return reliability(probabilities, y, bins)["ece"]


class Calibration:
    """An evaluator of a classifier's uncertainty on ``x`` (labels ``y`` optional).

    Metrics: ``<name>_entropy`` (the mean predictive entropy, nats) always; with labels also
    ``<name>_accuracy`` (of the predictive distribution's arg-max) and ``<name>_ece`` (15 bins).
    Without labels it measures data the model was not trained on (held-out classes, noise), where a
    model that knows what it does not know has high entropy. The same ``seed`` draws the same
    weights at every epoch, so the figures change only because the model did.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray | None = None, samples: int | None = None, seed: int = 0,
                 bins: int = ECE_BINS, logits: bool = True, name: str = "validation"):
        if y is not None and len(x) != len(y):
            raise ValueError(f"Calibration({name}): {len(x)} inputs but {len(y)} labels")
        self.x, self.y, self.samples, self.seed, self.bins, self.logits, self.name = x, y, samples, seed, bins, logits, name
        self.last: dict[str, float] = {}

    def __call__(self, model: Module) -> dict[str, float]:
        p = predictive_probabilities(model, self.x, self.samples, self.seed, self.logits)
        metrics = {f"{self.name}_entropy": float(predictive_entropy(p).mean())}
        if self.y is not None:
            metrics[f"{self.name}_accuracy"] = float(np.mean(p.argmax(axis=1) == self.y))
            metrics[f"{self.name}_ece"] = expected_calibration_error(p, self.y, self.bins)
        self.last = metrics
        return metrics

    def summary(self, metrics: dict[str, float]) -> str:
        parts = [f"{self.name} entropy {metrics[f'{self.name}_entropy']:.4f}"]
        if self.y is not None:
            parts.append(f"accuracy {metrics[f'{self.name}_accuracy']:.4f}  ECE {metrics[f'{self.name}_ece']:.4f}")
        return "  ".join(parts)

    def __repr__(self) -> str:
        return f"Calibration({self.name}, {len(self.x)} examples, samples={self.samples})"
