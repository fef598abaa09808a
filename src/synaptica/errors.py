"""The library's exception types and the one formatter for shape messages.

Every error a user can trigger with bad input is one of these, and each subclasses the
built-in it refines, so ``except ValueError`` still catches a :class:`ShapeError`.
Messages name the thing at fault (the layer, the file and the byte offset) and, where
one exists, the fix.
"""

from __future__ import annotations


class ShapeError(ValueError):
    """An input's shape does not fit the layer or op it was given to."""


class DtypeError(TypeError):
    """An input's float dtype differs from the dtype of the layer's parameters (float32 data into a
    float64 model, or the other way round); the message names the layer, both dtypes and the fix."""


class FormatError(ValueError):
    """A file is truncated, corrupt or not in the format its reader expects."""


class UnsafeFileError(FormatError):
    """A file would need code execution to load (for example a Python pickle); refused."""


class MissingFileError(FileNotFoundError):
    """A file to read is not there: no such path, a dangling symbolic link, or an empty path.

    It subclasses ``FileNotFoundError``, so ``except FileNotFoundError`` (and ``except OSError``)
    still catch it; the message names the path."""


class NotRegularFileError(FormatError):
    """A path to read names a directory, a FIFO, a socket or a device instead of a regular file.

    Refused before anything is read from it (reading a FIFO would wait for a writer forever)."""


class BudgetError(ValueError):
    """A layer, an architecture or a forward pass would need more memory than the library's stated
    budget (:mod:`synaptica.nn.budget`); refused before anything is allocated, naming the layer and
    the size."""


class NonFiniteError(FloatingPointError):
    """Training produced a NaN or infinity; the message names epoch, batch and layer."""


class DataError(ValueError):
    """A dataset cannot be found or fetched, or its parts disagree."""


class WorkerError(RuntimeError):
    """A worker process died while running a task, more often than the executor retries.

    ``completed`` maps the index of every task of the same ``map`` call that did finish to its
    result, so that nothing already computed is lost."""

    def __init__(self, message: str, completed: dict | None = None):
        super().__init__(message)
        self.completed = completed or {}


class TaskError(RuntimeError):
    """A task raised an exception of a kind that cannot be raised again here; the message holds the
    task's name and the worker's traceback."""


def shape_message(where: str, got: tuple, expected: str, hint: str | None = None) -> str:
    """Build the uniform shape message: ``Linear(784→30) got input of shape (10, 785); expected (batch, 784).``"""
    message = f"{where} got input of shape {tuple(got)}; expected {expected}."
    if hint:
        message += f" {hint}"
    return message
