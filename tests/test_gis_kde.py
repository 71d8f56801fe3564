"""Kernel density: mass is preserved, the peak sits on the cluster, the bandwidth is what it says."""
import numpy as np
import pytest

from gis.kde import kde


def test_density_integrates_to_the_number_of_points_and_peaks_at_the_cluster():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(1000, 50, 500), rng.uniform(0, 3000, 200)]
    y = np.r_[rng.normal(2000, 50, 500), rng.uniform(0, 3000, 200)]
    d = kde(x, y, (0, 0, 3000, 3000), bandwidth=100)
    assert d.bandwidth == 100 and d.resolution == 25
    total = d.values.sum() * (d.resolution ** 2) / 1e6
    assert total == pytest.approx(700, rel=0.01)
    r, c = np.unravel_index(np.argmax(d.values), d.values.shape)
    assert abs(d.x0 + (c + 0.5) * d.resolution - 1000) < 50
    assert abs(d.y0 + (r + 0.5) * d.resolution - 2000) < 50
    assert d.sample([1000], [2000])[0] > 10 * d.sample([2500], [500])[0]


def test_single_point_has_the_stated_gaussian_spread():
    d = kde([500.0], [500.0], (0, 0, 1000, 1000), bandwidth=80, resolution=10)
    peak = d.sample([505.0], [505.0])[0]
    one_sigma = d.sample([585.0], [505.0])[0]
    assert one_sigma / peak == pytest.approx(np.exp(-0.5), rel=0.05)
    with pytest.raises(ValueError):
        kde([0.0], [0.0], (0, 0, 1, 1), bandwidth=0)
