"""Read a search space from a TOML file, refusing anything it cannot run.

The format (docs/search.md has the whole of it, and examples/search.toml a working file)::

    [fixed]                       # settings every trial shares
    dataset = "fashion-mnist"
    epochs = 2
    hidden = [30]

    [search.eta]                  # a log-uniform range; the grid takes 4 points of it
    low = 0.01
    high = 3.0
    log = true
    points = 4

    [search.lmbda]                # a list of choices
    choices = [0.0, 0.5, 5.0]

Every refusal is a :class:`~synaptica.errors.FormatError` that names the file, the line (when the
key can be found in the text; for TOML syntax errors, the line tomllib reports) and the key, e.g.
``search.toml, line 9: search.eta: low (3.0) must be < high (0.01)``.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from pathlib import Path

from synaptica.data import DATASETS
from synaptica.errors import FormatError
from synaptica.io.files import open_regular
from synaptica.search.settings import SETTINGS, SGD_ONLY, coerce
from synaptica.search.space import Choice, FloatRange, IntRange, Parameter, SearchSpace

_PARAMETER_KEYS = ("choices", "low", "high", "log", "points")


def load_space(path: str | os.PathLike[str]) -> SearchSpace:
    """Read and check the search space in the TOML file ``path``.

    Raises:
        MissingFileError: there is no such file (a ``FileNotFoundError``).
        FormatError: the path is a directory or FIFO (:class:`NotRegularFileError`), the file is not
            UTF-8 or not TOML, nests arrays or tables too deeply for the TOML reader, or names an
            unknown key, an impossible range (low ≥ high, a log range with low ≤ 0), an empty list of
            choices, or a value its setting refuses (a learning rate ≤ 0, an unknown activation, ...).
    """
    with open_regular(path, "search space (TOML file)") as f:  # before Path(), which makes "" into "."
        data = f.read()
    path = Path(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise FormatError(f"{path}, line {line}: not UTF-8 (byte 0x{data[error.start]:02X} at offset {error.start}); "
                          f"TOML files are UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FormatError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise FormatError(f"{path}: arrays or inline tables nest too deeply for the TOML reader; a search "
                          f"space nests a few levels at most") from None
    return _SpaceReader(path, text).read(document)


class _SpaceReader:
    """Checks one parsed document; ``fail`` builds every error from the key path."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.text = text

    def fail(self, keys: tuple[str, ...], problem: str) -> FormatError:
        line = _line_of(self.text, keys)
        where = f"{self.path}, line {line}" if line else str(self.path)
        return FormatError(f"{where}: {'.'.join(keys)}: {problem}")

    def read(self, document: dict) -> SearchSpace:
        for key in document:
            if key not in ("fixed", "search"):
                raise self.fail((key,), "unknown key; a search space has a [fixed] table of settings "
                                        "and [search.NAME] tables of parameters")
        fixed_table = self.table(document, "fixed", required=False)
        search_table = self.table(document, "search", required=True)
        fixed = {name: self.setting_value(("fixed", name), name, value) for name, value in fixed_table.items()}
        if "dataset" in fixed:
            fixed["dataset"] = self.dataset_path(fixed["dataset"])
        parameters = {}
        for name, spec in search_table.items():
            keys = ("search", name)
            self.known_setting(keys, name)
            if name in fixed:
                raise self.fail(keys, "is both fixed and searched; remove it from one of [fixed] and [search]")
            if not isinstance(spec, dict):
                raise self.fail(keys, f"must be a table such as {{choices = [...]}} or {{low = ..., high = ...}}, "
                                      f"got {spec!r}")
            parameters[name] = self.parameter(keys, name, spec)
        if not parameters:
            raise self.fail(("search",), "has no parameters; add a [search.NAME] table such as [search.eta]")
        self.check_optimizer(fixed, parameters)
        return SearchSpace(fixed=fixed, parameters=parameters, source=self.path)

    def table(self, document: dict, key: str, required: bool) -> dict:
        if key not in document:
            if required:
                raise self.fail((key,), f"is missing; add a [{key}.NAME] table for each parameter to search")
            return {}
        if not isinstance(document[key], dict):
            raise self.fail((key,), f"must be a table ([{key}]), got {document[key]!r}")
        return document[key]

    def known_setting(self, keys: tuple[str, ...], name: str) -> None:
        if name not in SETTINGS:
            raise self.fail(keys, f"unknown setting; the settings are {', '.join(SETTINGS)}")

    def setting_value(self, keys: tuple[str, ...], name: str, value: object) -> object:
        self.known_setting(keys, name)
        try:
            return coerce(name, value)
        except ValueError as error:
            raise self.fail(keys, str(error)) from None

    def dataset_path(self, dataset: str) -> str:
        """A dataset directory named relative to the space file is found from wherever the search runs."""
        candidate = self.path.parent / dataset
        if dataset not in DATASETS and not Path(dataset).is_absolute() and candidate.is_dir():
            return str(candidate)
        return dataset

    def parameter(self, keys: tuple[str, ...], name: str, spec: dict) -> Parameter:
        for key in spec:
            if key not in _PARAMETER_KEYS:
                raise self.fail((*keys, key), f"unknown key; a parameter has {', '.join(_PARAMETER_KEYS)}")
        if "choices" in spec:
            extra = [key for key in spec if key != "choices"]
            if extra:
                raise self.fail((*keys, extra[0]), "a list of choices takes no range keys (low, high, log, points)")
            return self.choice(keys, name, spec["choices"])
        if "low" not in spec or "high" not in spec:
            raise self.fail(keys, "needs either choices = [...] or both low and high")
        return self.number_range(keys, name, spec)

    def choice(self, keys: tuple[str, ...], name: str, values: object) -> Choice:
        keys = (*keys, "choices")
        if not isinstance(values, list):
            raise self.fail(keys, f"must be a list of values, got {values!r}")
        if not values:
            raise self.fail(keys, "is empty; give at least one value")
        checked = tuple(self.setting_value(keys, name, value) for value in values)
        repeated = [value for i, value in enumerate(checked) if value in checked[:i]]
        if repeated:
            raise self.fail(keys, f"lists {repeated[0]!r} twice")
        if name == "dataset":
            checked = tuple(self.dataset_path(value) for value in checked)
        return Choice(checked)

    def number_range(self, keys: tuple[str, ...], name: str, spec: dict) -> FloatRange | IntRange:
        kind = SETTINGS[name].type
        if kind not in (int, float):
            raise self.fail(keys, "is not a number, so it takes choices = [...], not a range")
        low = self.setting_value((*keys, "low"), name, spec["low"])
        high = self.setting_value((*keys, "high"), name, spec["high"])
        log = spec.get("log", False)
        if not isinstance(log, bool):
            raise self.fail((*keys, "log"), f"must be true or false, got {log!r}")
        if not low < high:
            raise self.fail(keys, f"low ({low!r}) must be < high ({high!r})")
        if log and not low > 0:
            raise self.fail((*keys, "low"), f"a log range needs low > 0, got {low!r}")
        points = spec.get("points")
        if points is not None:
            if not isinstance(points, int) or isinstance(points, bool) or points < 2:
                raise self.fail((*keys, "points"), f"must be an integer >= 2 (the grid takes both ends), got {points!r}")
            if kind is int and points > high - low + 1:
                raise self.fail((*keys, "points"), f"asks for {points} integers but [{low}, {high}] holds "
                                                   f"only {high - low + 1}")
        if kind is int:
            return IntRange(low, high, log, points)
        if not (math.isfinite(low) and math.isfinite(high)):
            raise self.fail(keys, "low and high must be finite")
        return FloatRange(low, high, log, points)

    def check_optimizer(self, fixed: dict, parameters: dict) -> None:
        optimizer = fixed.get("optimizer", "sgd")
        if optimizer == "sgd":
            return
        for name in SGD_ONLY:
            if name in fixed or name in parameters:
                section = "fixed" if name in fixed else "search"
                raise self.fail((section, name), f"is used by the sgd optimizer only, but the optimizer is {optimizer!r}")


def _line_of(text: str, keys: tuple[str, ...]) -> int | None:
    """The line (from 1) where the key path ``keys`` is written, or None: tries the deepest key
    first (``low`` in a ``[search.eta]`` table), then its parents (``eta = {...}`` in ``[search]``,
    then the ``[search.eta]`` header)."""
    lines = text.splitlines()
    for depth in range(len(keys), 0, -1):
        table, key = ".".join(keys[:depth - 1]), keys[depth - 1]
        header = ".".join(keys[:depth])
        assignment = re.compile(rf'^\s*["\']?{re.escape(key)}["\']?\s*[=.]')
        current = ""
        for number, line in enumerate(lines, start=1):
            found = re.match(r"^\s*\[\s*([^\[\]]+?)\s*\]", line)
            if found:
                current = re.sub(r"\s*\.\s*", ".", found.group(1)).replace('"', "").replace("'", "")
                if current == header or current.startswith(header + "."):
                    return number
            elif current == table and assignment.match(line):
                return number
    return None
