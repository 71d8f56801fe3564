"""Benchmark: Gi* permutation p-values (gis.gistar.permutation_p) against PySAL esda's G_Local(star=True).

In one run, for the same counts per cell and the same binary weights (a 150 m hexagon grid over a city-sized
12 x 9 km area, 5,670 cells): N synthetic reports (default 5,000 and 1,000,000; half spread evenly, half
around 40 hotspots) are counted per cell; the baseline is esda's ``G_Local(y, w, transform="B", star=True,
permutations=999)`` (esda's conditional randomisation, one process; numba is not installed, so esda runs
its plain-Python path), the project is ``gis.gistar.analyse(counts, w, permutations=999)`` (p-values, FDR
and classes). Both are timed end to end (best of --repeat runs) and the ratio is printed.

Run (not part of `make test`; needs the dev dependencies esda and libpysal):

    .venv/bin/python bench/bench_gistar_permutation.py [--reports 5000 1000000] [--repeat 3]

Target: the project under 0.5 s at 1,000,000 reports (the police map stays usable) and faster than esda.
The exit status is 0 only when the targets are met.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
from shapely.geometry import box

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gis import gistar as gi  # noqa: E402


def counts_for(n: int, grid: gi.Grid, rng) -> np.ndarray:
    """N reports, half even, half around 40 hotspots (Gaussian, 150 m), counted per cell."""
    half = n // 2
    cx, cy = rng.uniform(0, 12000, 40), rng.uniform(0, 9000, 40)
    j = rng.integers(0, 40, half)
    x = np.r_[rng.uniform(0, 12000, n - half), cx[j] + rng.normal(0, 150, half)]
    y = np.r_[rng.uniform(0, 9000, n - half), cy[j] + rng.normal(0, 150, half)]
    return grid.count(gi.cell_keys(x, y, grid.size, grid.shape)).astype(float)


def best(fn, repeat: int) -> float:
    """The shortest of `repeat` timings of fn() in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    """Time both for each report count, print the times and the ratio; 0 when the targets are met."""
    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, nargs="+", default=[5000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    grid = gi.make_grid(box(0, 0, 12000, 9000), 150, "hex")
    dist = gi.default_neighbour_distance(150, "hex")
    w = gi.binary_weights(grid.centres, dist)
    wb = DistanceBand(grid.centres, threshold=dist, binary=True, silence_warnings=True)
    rng = np.random.default_rng(1)
    ok = True
    print(f"{len(grid)} cells, 999 permutations")
    for n in args.reports:
        y = counts_for(n, grid, rng)
        base = best(lambda y=y: G_Local(y, wb, transform="B", star=True, permutations=999, seed=1,
                                        keep_simulations=False, n_jobs=1), 1)
        mine = best(lambda y=y: gi.analyse(y, w, permutations=999, seed=1), args.repeat)
        print(f"{n:>9} reports ({len(np.unique(y))} distinct counts): esda {base:.3f} s, project {mine:.3f} s, "
              f"ratio {base / mine:.1f}x")
        ok &= mine < base and (n < 1_000_000 or mine < 0.5)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
