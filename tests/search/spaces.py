"""Helpers for the search tests: the command line, and tiny spaces written as TOML files."""

import json

CLI = ["-m", "synaptica"]

#: a [784, 10, 10] network, one epoch on the first 1,000 training images: well under a second a trial
TINY = {"train_examples": 1000, "validation_examples": 300, "hidden": [10], "epochs": 1, "batch_size": 20}


def write_space(tmp_path, search: str, name: str = "space.toml", **fixed):
    """Write a space file: the TINY settings (overridden by ``fixed``) and the ``search`` tables."""
    settings = {**TINY, **fixed}
    lines = ["[fixed]", *(f"{key} = {json.dumps(value)}" for key, value in settings.items()), "", search]
    path = tmp_path / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
