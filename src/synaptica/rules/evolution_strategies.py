"""Evolution strategies (Salimans et al. 2017): a gradient estimated from the fitness of perturbed copies."""

from __future__ import annotations

import functools
import json
import math

import numpy as np

from synaptica.losses import get_cost
from synaptica.nn.module import Module
from synaptica.optim.hessian import parameter_vector, vector_pieces
from synaptica.parallel.blas import blas_threads
from synaptica.parallel.tasks import worker_task
from synaptica.rules.base import GradientRule, State, checked_cost, inputs_and_targets, model_input
from synaptica.tensor import no_grad

#: The worker task that scores a slice of the population (see :func:`evaluate_members`).
FITNESS_TASK = "synaptica.rules.evolution_strategies:evaluate_members"


class EvolutionStrategies(GradientRule):
    """Natural evolution strategies with antithetic sampling, rank shaping and any optimizer.

    The parameters θ of the whole network are one vector. Each step (a *generation*) draws n/2
    Gaussian directions εᵢ, scores the 2·(n/2) perturbed networks θ ± σεᵢ by their fitness
    F = −C(θ ± σεᵢ) on the step's mini-batch, and estimates the gradient of the expected fitness of
    the search distribution N(θ, σ²I):

        ∇θ E[F(θ + σε)] ≈ 1/(nσ) Σᵢ (F̃ᵢ⁺ − F̃ᵢ⁻) εᵢ

    where F̃ are the fitnesses after *centred-rank shaping* (each replaced by its rank, scaled to
    [−½, ½]), which makes the step blind to the scale of the cost and to outliers. The estimate's
    negative is written to ``.grad`` so that any optimizer applies it (Adam by default on the command
    line, its L2 λ acting as the weight decay Salimans et al. use). No backward pass is taken: the
    rule needs only forward passes, so it trains any model whose cost can be computed, and those
    forward passes are independent of one another.

    **Common random numbers.** Every εᵢ is a slice of a *shared noise table* (the same array of
    normals in every process, built from a fixed seed), at an offset drawn from the seed (this run's
    key, generation, i), so only seeds and scalar fitnesses need to cross between processes: the
    workers of an :mod:`executor <synaptica.parallel>` receive the architecture as JSON, the flat
    vector θ, the mini-batch and the seeds, and return 2·k numbers; this process looks the εᵢ up
    again to form the estimate (:func:`generation_noise`). The fitnesses do not depend on which worker computed them (each is computed with one
    BLAS thread from the same inputs), so the same seed gives bitwise the same weights on every
    executor.

    Reference: T. Salimans, J. Ho, X. Chen, S. Sidor and I. Sutskever, "Evolution strategies as a
    scalable alternative to reinforcement learning", arXiv:1703.03864, 2017 (antithetic sampling,
    fitness shaping, weight decay, seeds in place of perturbations).

    Args:
        cost: the cost whose negative is the fitness.
        optimizer: applies the estimate (e.g. ``Adam(model.parameters(), 0.01)``).
        population: networks scored per generation, an even number ≥ 2 (pairs θ ± σε).
        sigma: σ > 0, the standard deviation of the perturbations.
        executor: where the fitnesses are computed (:func:`synaptica.parallel.make_executor`); None
            computes them in this process.
        tasks_per_worker: how many slices of the population each worker gets per generation.
        shaping: ``"ranks"`` (centred ranks, as Salimans et al.) or ``"none"`` (the raw fitnesses, for
            which the estimate on a cost quadratic in θ is exactly (2/n) Σᵢ εᵢεᵢᵀ ∇θF: the antithetic
            difference F(θ + σε) − F(θ − σε) is then 2σ ε·∇F, with no error from σ).

    Step metrics: ``loss`` and ``correct`` of θ itself on the batch, ``fitness_mean`` and
    ``fitness_max`` over the population.
    """

    name = "evolution-strategies"

    def __init__(self, cost, optimizer, population: int = 100, sigma: float = 0.05, executor=None,
                 tasks_per_worker: int = 1, shaping: str = "ranks"):
        super().__init__(cost, optimizer)
        if isinstance(population, bool) or not isinstance(population, int) or population < 2 or population % 2:
            raise ValueError(f"EvolutionStrategies: population must be an even integer >= 2 (antithetic "
                             f"pairs), got {population!r}")
        if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma > 0):
            raise ValueError(f"EvolutionStrategies: sigma must be a finite number > 0, got {sigma!r}")
        if shaping not in ("ranks", "none"):
            raise ValueError(f"EvolutionStrategies: shaping must be 'ranks' or 'none', got {shaping!r}")
        self.population, self.sigma, self.shaping = population, float(sigma), shaping
        self.executor, self.tasks_per_worker = executor, tasks_per_worker
        self.key: int | None = None
        self.generation = 0
        self._architecture: str | None = None

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        if self.key is None:  # a second fit continues the same sequence of perturbations
            self.key = int(rng.integers(2 ** 63))
        self._architecture = json.dumps(model.config())
        if not model.parameters():
            raise ValueError(f"EvolutionStrategies: the model {model!r} has no parameters")

    def unbind(self, model: Module) -> None:
        self._architecture = None

    def gradients(self, model: Module, batch: tuple) -> dict:
        if self._architecture is None:
            raise RuntimeError("EvolutionStrategies: call bind(model, rng) before step (fit does it)")
        x, y = inputs_and_targets(batch)
        dtype = model.parameters()[0].dtype
        theta = parameter_vector(model, dtype)
        results = self._score(model, theta, x, y)
        value = checked_cost(results[0]["theta_cost"])  # θ's own cost: the first slice measured it too
        fitness = np.concatenate([np.asarray(result["fitness"]).reshape(-1, 2) for result in results])
        if self.shaping == "ranks":
            ranked = np.where(np.isfinite(fitness), fitness, -np.inf)  # a diverged copy is the least fit
            shaped = centred_ranks(ranked.ravel()).reshape(fitness.shape)
        else:
            shaped = fitness
        weights = shaped[:, 0] - shaped[:, 1]
        estimate, scratch = np.zeros(theta.size, dtype), np.empty(theta.size, dtype)  # in θ's dtype: no copies
        for noise, weight in zip(generation_noise(self.key, self.generation, len(weights), theta.size, dtype), weights):
            np.multiply(noise, weight, out=scratch)
            estimate += scratch
        estimate /= self.population * self.sigma
        self.optimizer.zero_grad()
        for p, piece in zip(model.parameters(), vector_pieces(model, -estimate)):  # ascend F = descend C
            p.grad = piece.astype(p.dtype)
        self.generation += 1
        metrics = {"loss": value}
        if results[0]["theta_correct"] >= 0:
            metrics["correct"] = int(results[0]["theta_correct"])
        return {**metrics, "fitness_mean": float(fitness.mean()),
                "fitness_max": float(fitness.max())}

    def _score(self, model: Module, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[dict]:
        """The population's fitnesses, scored by the executor in slices (the first also measures θ)."""
        pairs = self.population // 2
        workers = getattr(self.executor, "workers", 1)
        slices = [part for part in np.array_split(np.arange(pairs), min(pairs, workers * self.tasks_per_worker))
                  if len(part)]
        common = {"architecture": self._architecture, "theta": theta, "x": x, "y": np.asarray(y),
                  "cost": self.cost.name, "key": self.key, "generation": self.generation, "sigma": self.sigma,
                  "pairs": pairs, **{f"buffer.{name}": value for name, value in model.named_buffers()}}
        payloads = [{**common, "first": int(part[0]), "count": len(part), "score_theta": index == 0}
                    for index, part in enumerate(slices)]
        if self.executor is None:
            return [evaluate_members(payload) for payload in payloads]
        return self.executor.map(FITNESS_TASK, payloads)

    def state_dict(self) -> State:
        return {**super().state_dict(), "es.key": np.array(self.key, dtype=np.uint64),
                "es.generation": np.array(self.generation, dtype=np.int64)}

    def load_state_dict(self, state: State) -> None:
        super().load_state_dict(state)
        self.key, self.generation = int(state["es.key"]), int(state["es.generation"])

    def __repr__(self) -> str:
        return (f"EvolutionStrategies({self.cost.name}, {type(self.optimizer).__name__}, population="
                f"{self.population}, sigma={self.sigma:g})")


#: the seed of the shared noise table: a constant, so every process builds the same table
NOISE_TABLE_SEED = 1703_03864
#: the table holds at least this many standard normals (64 MiB of float32), and 8n for n parameters
NOISE_TABLE_MIN = 2 ** 24


@functools.lru_cache(maxsize=2)
def noise_table(size: int) -> np.ndarray:
    """``size`` standard normals (float32, read-only) from a fixed seed: the same array in every process.

    Computed once per process and kept (a pure function of ``size``, cached): a worker builds it when
    it scores its first slice of a population, and every perturbation after that is a slice of it.
    """
    table = np.random.default_rng(NOISE_TABLE_SEED).standard_normal(size, dtype=np.float32)
    table.flags.writeable = False
    return table


def generation_noise(key: int, generation: int, pairs: int, size: int, dtype) -> list[np.ndarray]:
    """εᵢ for every pair i of ``generation``: ``size`` consecutive entries of the shared noise table each,
    at offsets drawn from the seed (key, generation).

    Salimans et al.'s shared noise table: drawing n fresh normals for every member (0.8 ms for
    n = 79,510) costs as much as scoring it, and this process must draw them all again to form the
    estimate; a slice costs nothing. Two members' slices overlap with probability about 2n/(table
    size): 1 % for the 79,510 parameters of [784, 100, 10], at most 1/4 for a large network (whose
    table has 8n entries), a small correlation the paper accepts too.
    """
    table = noise_table(max(NOISE_TABLE_MIN, 1 << (8 * size - 1).bit_length()))
    offsets = np.random.default_rng([key, generation]).integers(len(table) - size + 1, size=pairs)
    return [table[offset:offset + size].astype(dtype, copy=False) for offset in offsets]


def centred_ranks(values: np.ndarray) -> np.ndarray:
    """Each value replaced by its rank among all of them, scaled to [−½, ½] (ties broken by position)."""
    ranks = np.empty(len(values), np.float64)
    ranks[np.argsort(values, kind="stable")] = np.arange(len(values))
    return ranks / (len(values) - 1) - 0.5


@worker_task
def evaluate_members(payload: dict) -> dict:
    """Score pairs ``first`` … ``first + count − 1`` of one generation: F(θ ± σεᵢ) = −C on the batch.

    Runs wherever the executor puts it (this process, a pool worker, a Ray worker): it builds the
    network from its architecture JSON through the closed layer registry, and computes with one BLAS
    thread so that the numbers do not depend on where it ran.
    """
    from synaptica.nn.registry import module_from_config

    model = module_from_config(json.loads(payload["architecture"]), source="evolution strategies")
    model.eval()
    buffers = {name[len("buffer."):]: value for name, value in payload.items() if name.startswith("buffer.")}
    if buffers:
        model.load_state_dict({**{n: p.data for n, p in model.named_parameters()}, **buffers})
    theta, sigma = payload["theta"], float(payload["sigma"])
    cost, x, y = get_cost(payload["cost"]), model_input(payload["x"], theta.dtype), payload["y"]
    perturbed = np.empty_like(theta)  # θ ± σε, written in place for every member
    for p, piece in zip(model.parameters(), vector_pieces(model, perturbed)):
        p.data = piece  # views in θ's dtype: the model computes with whatever perturbed holds
    first, count = int(payload["first"]), int(payload["count"])
    noise = generation_noise(int(payload["key"]), int(payload["generation"]), int(payload["pairs"]), theta.size,
                             theta.dtype)[first:first + count]
    fitness = np.empty((count, 2), np.float64)
    measured = {"theta_cost": float("nan"), "theta_correct": -1}
    with blas_threads(1), no_grad():
        if payload.get("score_theta"):  # θ itself: its cost (and correct labels) are the step's metrics
            perturbed[...] = theta
            output = model(x)
            measured["theta_cost"] = float(cost(output, y).data)
            if np.ndim(y) == 1:
                measured["theta_correct"] = int(np.count_nonzero(output.data.argmax(axis=1) == y))
        for row, epsilon in enumerate(noise):
            for column, sign in enumerate((1.0, -1.0)):
                np.multiply(epsilon, sign * sigma, out=perturbed)
                perturbed += theta
                fitness[row, column] = -float(cost(model(x), y).data)
    return {"fitness": fitness.ravel(), **measured}

