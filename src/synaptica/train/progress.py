"""Progress output for long loops: a tqdm bar when tqdm is installed and the output is a terminal."""

from __future__ import annotations

from typing import Iterable, TypeVar

T = TypeVar("T")


def progress_bar(items: Iterable[T], description: str, enabled: bool | None, out) -> Iterable[T]:
    """Wrap ``items`` in a progress bar; ``enabled=None`` means: only on a terminal."""
    if enabled is None:
        enabled = hasattr(out, "isatty") and out.isatty()
    if not enabled:
        return items
    try:
        from tqdm import tqdm
    except ImportError:  # optional extra 'progress'
        return items
    return tqdm(items, desc=description, leave=False, unit="batch", file=out, mininterval=0.5)
