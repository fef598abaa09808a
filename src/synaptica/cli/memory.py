"""A rough check, before a network is built, that the machine has the memory to train it.

``--hidden 30000000`` on Fashion-MNIST asks for 23.5 billion weights: building them would fail after
minutes of allocating, or end with the process killed. The command compares a lower bound of what
training needs (the float32 weights, their gradients and one more copy of them: the optimizer's
state or the initialiser's draw) with the memory the system reports available, and refuses the
network at once when it cannot fit. It is only a bound: a network that passes may still need more
(activations grow with the batch). Where the system reports nothing (no ``/proc/meminfo``), nothing
is refused here.
"""

from __future__ import annotations

from pathlib import Path

#: bytes of memory per parameter that training needs at the least: float32 weights, gradients, one more copy
BYTES_PER_PARAMETER = 12


def mlp_parameters(sizes: list[int]) -> int:
    """How many weights and biases a fully connected network of layer ``sizes`` has."""
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def available_memory(meminfo: str | Path = "/proc/meminfo") -> int | None:
    """Bytes of memory available to a new process (Linux's ``MemAvailable``), or None if not known."""
    try:
        for line in Path(meminfo).read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_memory(parameters: int, what: str, available: int | None = None) -> None:
    """Refuse (MemoryError naming ``what`` and both sizes) a network of ``parameters`` that cannot fit in
    ``available`` bytes (default: what the system reports)."""
    available = available_memory() if available is None else available
    needed = parameters * BYTES_PER_PARAMETER
    if available is not None and needed > available:
        raise MemoryError(f"{what}: the network has {parameters:,} parameters; training it needs at least "
                          f"{_gib(needed)} of memory and {_gib(available)} is available. Give smaller layer sizes.")


def _gib(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:,.1f} GiB"
