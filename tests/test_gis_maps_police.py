"""Police map colours and layout helpers (pure, no database)."""
import numpy as np

from gis import maps_police as mp


def _lab(hex_colour: str) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ lin
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_monthly_circles_are_not_in_a_coldspot_colour():
    """The issue saw the monthly circles in the coldspots' blue; now they differ clearly from every Gi* class,
    the clusters and the counts (CIE76 colour difference of at least 25)."""
    others = [*mp.GI_COLOURS.values(), mp.CLUSTER_COLOUR, mp.COUNT_COLOUR]
    for monthly in (mp.MONTHLY_COLOUR, mp.MONTHLY_FILL):
        nearest = min(np.linalg.norm(_lab(monthly) - _lab(c)) for c in others)
        assert nearest >= 25, (monthly, nearest)
    # and the old blue would not have passed
    assert min(np.linalg.norm(_lab("#2b8cbe") - _lab(c)) for c in others) < 25
