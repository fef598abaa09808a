"""A self-organizing map: units on a 2-D rectangular grid, each holding a prototype vector in input space.

Unit i sits at grid position rᵢ = (row, column) and holds a prototype wᵢ (a buffer, ``prototypes``,
(units, d), saved with the model and moved by a rule: :class:`~synaptica.rules.OnlineSOM` or
:class:`~synaptica.rules.BatchSOM`, never by gradients). Units are numbered row by row, i = row ×
columns + column. An input's best-matching unit (BMU) is the unit whose prototype is nearest:

    c(x) = argminᵢ ‖x − wᵢ‖

``forward(x)`` is the inference path: the Euclidean distance of each input to each prototype,
(batch, units), so the BMUs are ``predict(model, x).argmin(axis=1)``. Two figures say how well a
map fits data (Kohonen 1990; as MiniSom computes them):

- the quantization error, the mean distance of each x to its BMU's prototype, mean ‖x − w_c‖
  (not squared);
- the topographic error, the fraction of x whose best and second-best units are not neighbours on
  the grid (the 8 units around a unit, diagonals included).

With labels, :meth:`SelfOrganizingMap.majority_labels` gives each unit the most common label among
the points it wins, and :meth:`SelfOrganizingMap.predict` classifies x by its BMU's label.

Reference: T. Kohonen, "The self-organizing map", Proceedings of the IEEE 78(9), 1990.
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.nn.module import Module
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor
from synaptica.unsupervised.distances import chunks, nearest, squared_distances
from synaptica.unsupervised.inputs import data_matrix


def grid_coordinates(rows: int, columns: int) -> np.ndarray:
    """The (row, column) of every unit of a rows × columns grid, numbered row by row: (units, 2) floats."""
    r, c = np.divmod(np.arange(rows * columns), columns)
    return np.stack([r, c], axis=1).astype(np.float64)


class SelfOrganizingMap(Module):
    """A rows × columns map of prototypes (``prototypes``, (rows · columns, features)).

    Build one with :meth:`random` (prototypes drawn among the data's rows with an explicit Generator)
    or :meth:`pca` (the plane of the data's first two principal components, MiniSom's
    ``pca_weights_init``), or from an array of prototypes.
    """

    buffer_names = ("prototypes",)

    def __init__(self, rows: int, columns: int, prototypes: np.ndarray):
        _check_grid("SelfOrganizingMap", rows, columns)
        prototypes = np.asarray(prototypes)
        if prototypes.ndim != 2 or len(prototypes) != rows * columns or not prototypes.shape[1]:
            raise ShapeError(f"SelfOrganizingMap: a {rows} × {columns} map needs prototypes of shape "
                             f"({rows * columns}, features), got {prototypes.shape}")
        self.rows, self.columns = int(rows), int(columns)
        self.prototypes = prototypes.astype(prototypes.dtype if prototypes.dtype.kind == "f" else np.float64)
        self.grid = grid_coordinates(self.rows, self.columns)
        self.unit_labels: np.ndarray | None = None

    @classmethod
    def random(cls, rows: int, columns: int, x, rng: SeedLike = None, dtype=np.float32) -> SelfOrganizingMap:
        """A map whose prototypes are rows of ``x`` drawn at random (with replacement) with ``rng``."""
        _check_grid("SelfOrganizingMap.random", rows, columns)
        x = data_matrix("SelfOrganizingMap.random", x).astype(dtype, copy=False)
        return cls(rows, columns, x[as_generator(rng).integers(len(x), size=rows * columns)])

    @classmethod
    def pca(cls, rows: int, columns: int, x, dtype=np.float64) -> SelfOrganizingMap:
        """A map spanning the plane of the data's first two principal components, centred on its mean:

            w(i, j) = x̄ + aᵢ u₁ + bⱼ u₂,   aᵢ, bⱼ evenly spaced in [−1, 1]

        with u₁, u₂ the unit eigenvectors of the covariance of ``x`` with the two largest eigenvalues
        (rows run along u₁, columns along u₂): MiniSom's ``pca_weights_init``, deterministic."""
        _check_grid("SelfOrganizingMap.pca", rows, columns)
        x = data_matrix("SelfOrganizingMap.pca", x).astype(np.float64, copy=False)
        if x.shape[1] < 2 or len(x) < 2:
            raise ShapeError(f"SelfOrganizingMap.pca needs at least 2 points with 2 features, got data of shape {x.shape}")
        values, vectors = np.linalg.eigh(np.cov(x, rowvar=False))
        order = np.argsort(values)[::-1]
        first, second = vectors[:, order[0]], vectors[:, order[1]]
        a, b = np.linspace(-1, 1, rows), np.linspace(-1, 1, columns)
        prototypes = x.mean(axis=0) + a[:, None, None] * first + b[None, :, None] * second
        return cls(rows, columns, prototypes.reshape(rows * columns, -1).astype(dtype))

    @property
    def units(self) -> int:
        return len(self.prototypes)

    def inputs(self, owner: str, x) -> np.ndarray:
        """``x`` as rows of the prototypes' dtype, refused (naming both widths) when its width differs."""
        x = data_matrix(owner, x).astype(self.prototypes.dtype, copy=False)
        if x.shape[1] != self.prototypes.shape[1]:
            raise ShapeError(f"{owner}: the map's prototypes have {self.prototypes.shape[1]} features but the data's "
                             f"points have {x.shape[1]} (data of shape {x.shape})")
        return x

    def forward(self, x: Tensor) -> Tensor:
        values = x.data if isinstance(x, Tensor) else np.asarray(x)
        values = self.inputs("SelfOrganizingMap", values.reshape(len(values), -1))
        return Tensor(np.sqrt(squared_distances(values, self.prototypes)))

    def best_matching_units(self, x) -> np.ndarray:
        """The index of each point's best-matching unit (its nearest prototype)."""
        return nearest(self.inputs("SelfOrganizingMap.best_matching_units", x), self.prototypes)[0]

    def quantization_error(self, x) -> float:
        """Mean ‖x − w_c(x)‖ over the points (MiniSom's ``quantization_error``)."""
        closest = nearest(self.inputs("SelfOrganizingMap.quantization_error", x), self.prototypes)[1]
        return float(np.sqrt(closest.astype(np.float64)).mean())

    def topographic_error(self, x) -> float:
        """The fraction of points whose best and second-best units are not grid neighbours (at most one
        step apart in row and in column); NaN for a map of one unit, which has no second unit."""
        x = self.inputs("SelfOrganizingMap.topographic_error", x)
        if self.units == 1:
            return float("nan")
        apart = 0
        for rows in chunks(len(x), self.units):
            two = np.argpartition(squared_distances(x[rows], self.prototypes), 1, axis=1)[:, :2]
            step = np.abs(self.grid[two[:, 0]] - self.grid[two[:, 1]]).max(axis=1)
            apart += int(np.count_nonzero(step > 1))
        return apart / len(x)

    def hits(self, x) -> np.ndarray:
        """How many of the points each unit wins, as a (rows, columns) array."""
        return np.bincount(self.best_matching_units(x), minlength=self.units).reshape(self.rows, self.columns)

    def u_matrix(self) -> np.ndarray:
        """Ultsch's unified distance matrix, (rows, columns): each unit's mean distance from its
        prototype to those of its grid neighbours (up to 8, diagonals included). High ridges separate
        clusters; MiniSom's ``distance_map(scaling='mean')`` before its division by the maximum."""
        grid = self.prototypes.reshape(self.rows, self.columns, -1).astype(np.float64)
        total = np.zeros((self.rows, self.columns))
        count = np.zeros((self.rows, self.columns))
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                if dr or dc:
                    here = (slice(max(0, -dr), self.rows - max(0, dr)), slice(max(0, -dc), self.columns - max(0, dc)))
                    there = (slice(max(0, dr), self.rows + min(0, dr)), slice(max(0, dc), self.columns + min(0, dc)))
                    total[here] += np.linalg.norm(grid[here] - grid[there], axis=2)
                    count[here] += 1
        return total / np.maximum(count, 1)

    def majority_labels(self, x, y) -> np.ndarray:
        """Label every unit with the most common label of the points it wins (the smallest on a tie); a
        unit that wins none takes the label of the nearest unit on the grid that wins some. Sets and
        returns ``unit_labels`` (units,)."""
        winners = self.best_matching_units(x)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(winners) or y.dtype.kind not in "iu":
            raise ShapeError(f"SelfOrganizingMap.majority_labels: expected one integer label per point "
                             f"({len(winners)}), got labels of shape {y.shape} and dtype {y.dtype}")
        counts = np.zeros((self.units, int(y.max()) + 1), dtype=np.int64)
        np.add.at(counts, (winners, y), 1)
        labels = counts.argmax(axis=1)
        hit = counts.sum(axis=1) > 0
        if not hit.all():
            gaps = ((self.grid[~hit, None, :] - self.grid[None, hit, :]) ** 2).sum(axis=2)
            labels[~hit] = labels[hit][gaps.argmin(axis=1)]
        self.unit_labels = labels
        return labels

    def predict(self, x) -> np.ndarray:
        """The label of each point's best-matching unit (after :meth:`majority_labels`)."""
        if self.unit_labels is None:
            raise RuntimeError("SelfOrganizingMap.predict: the units have no labels yet; call majority_labels(x, y)")
        return self.unit_labels[self.best_matching_units(x)]

    def config(self) -> dict:
        return {"type": "SelfOrganizingMap", "rows": self.rows, "columns": self.columns,
                "features": self.prototypes.shape[1]}

    def __repr__(self) -> str:
        return f"SelfOrganizingMap({self.rows} × {self.columns}, {self.prototypes.shape[1]} features)"


def _check_grid(owner: str, rows, columns) -> None:
    for name, value in (("rows", rows), ("columns", columns)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{owner}: {name} must be an integer >= 1 (a map of at least one unit), got {value!r}")
