"""The self-organizing map's pictures are written as PNG files."""

import numpy as np
import pytest

from synaptica.models import SelfOrganizingMap

pytest.importorskip("matplotlib")


def test_the_map_and_its_prototypes_are_drawn(tmp_path):
    from synaptica.viz.som import plot_map, plot_prototypes

    x = np.random.default_rng(0).random((60, 4))
    som = SelfOrganizingMap.pca(3, 4, x)
    y = np.arange(60) % 3
    written = [plot_map(som, x, tmp_path / "map.png", y=y, title="a map"),
               plot_prototypes(som, (2, 2), tmp_path / "prototypes.png")]
    assert all(path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for path in written)
    assert som.unit_labels is not None and len(som.unit_labels) == 12
