"""Images of the yearly prevention report (matplotlib, PNG): reports per month against the previous year, and the
districts coloured by their change. Plain data in, PNG bytes out."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display: render to files only
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402
from matplotlib.patches import Polygon as Patch  # noqa: E402


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def monthly_chart(month_names: list[str], this_year: list[int], last_year: list[int], labels: dict) -> bytes:
    """Bars of this year's reports per month with the previous year as a line; `labels`: title, this, last."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    x = range(len(month_names))
    ax.bar(x, this_year, color="#2e7d32", label=labels["this"])
    ax.plot(x, last_year, color="#555555", marker="o", linewidth=1.5, label=labels["last"])
    ax.set_xticks(list(x), month_names)
    ax.set_title(labels["title"], fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=9)
    return _png(fig)


def district_map(districts: list[tuple[str, object]], this_year: dict, last_year: dict, labels: dict) -> bytes:
    """The districts (name, metric shapely polygon) coloured by the change of their reports against the previous
    year (green fewer, red more), each labelled with this year's count; `labels`: title, legend."""
    fig, ax = plt.subplots(figsize=(7, 7))
    changes = {name: (this_year.get(name, 0) - last_year.get(name, 0)) / max(last_year.get(name, 0), 1) * 100
               for name, _ in districts}
    limit = max([abs(v) for v in changes.values()] + [10])
    norm = TwoSlopeNorm(vmin=-limit, vcenter=0, vmax=limit)
    cmap = plt.get_cmap("RdYlGn_r")
    for name, geom in districts:
        for poly in getattr(geom, "geoms", [geom]):
            ax.add_patch(Patch(list(poly.exterior.coords), closed=True, facecolor=cmap(norm(changes[name])),
                               edgecolor="#333333", linewidth=0.8))
        c = geom.representative_point()
        ax.annotate(f"{name}\n{this_year.get(name, 0)}", (c.x, c.y), ha="center", va="center", fontsize=7)
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(labels["title"], fontsize=11)
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, shrink=0.6, label=labels["legend"])
    return _png(fig)
