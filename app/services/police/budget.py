"""Work budgets of the police analyses: how much work the parameters a logged-in user chooses may cost.

Each budget is checked before the work starts and answered with a 400 that names the limit and what to change,
so that no request can run into the worker timeout (gunicorn's 30 s). The limits were set from measurements on
the demo city (docs/police.md, "Work budgets"), each to a few seconds of one core:

- Gi* cells: the grid over the study area (the city or a district) for the chosen cell size and shape, estimated
  from the area and its boundary before the grid is built (the grid, the statistics and above all the cell
  polygons of maps and exports grow with it: 187,000 cells of 25 m over Heilbronn took 30 s).
- Near repeat: incident pairs within the largest distance band times permutations (every permutation recounts
  every pair: 1.2 million pairs x 99 permutations took 6.5 s); the pairs are counted first, which is cheap.
- Near repeat: incidents (MAX_KNOX_REPORTS), and the period of every analysis (filters.MAX_PERIOD_DAYS).
"""
from __future__ import annotations

import math

from flask_babel import format_number
from flask_babel import gettext as _

from app.errors import ValidationFailed
from gis import gistar as gi

MAX_GI_CELLS = 15_000
MAX_KNOX_REPORTS = 20_000
MAX_KNOX_WORK = 100_000_000  # incident pairs x permutations


def estimated_cells(area, size: float, shape: str) -> int:
    """About how many cells of `size` metres and `shape` a grid over the metric polygon `area` has: its area
    plus half a cell along its boundary, over the area of one cell (within a few per cent of make_grid's count)."""
    return math.ceil((area.area + area.length * size / 2) / gi.cell_area(size, shape))


def smallest_cell(area, shape: str, max_cells: int = MAX_GI_CELLS) -> int:
    """The smallest whole cell size in metres whose grid over `area` stays within `max_cells`."""
    k = gi.cell_area(1.0, shape)
    half_p, a = area.length / 2, area.area
    size = math.ceil((half_p + math.sqrt(half_p * half_p + 4 * max_cells * k * a)) / (2 * max_cells * k))
    while estimated_cells(area, size, shape) > max_cells:
        size += 1
    return size


def check_gistar(area, size: float, shape: str) -> None:
    """ValidationFailed (field `cell`) when the Gi* grid over `area` would have more than MAX_GI_CELLS cells."""
    cells = estimated_cells(area, size, shape)
    if cells > MAX_GI_CELLS:
        raise ValidationFailed([("cell", _(
            "Zellen von %(size)s m ergäben für dieses Gebiet etwa %(cells)s Zellen; höchstens %(max)s sind möglich. "
            "Bitte Zellen ab %(min)d m wählen oder einen Stadtteil.", size=f"{size:g}", cells=format_number(cells),
            max=format_number(MAX_GI_CELLS), min=smallest_cell(area, shape)))])


def check_knox(incidents: int, pairs: int, permutations: int) -> None:
    """ValidationFailed when the near-repeat test has too many incidents, or pairs x permutations exceed
    MAX_KNOX_WORK (the message says how many permutations would fit)."""
    if incidents > MAX_KNOX_REPORTS:
        raise ValidationFailed([("from", _(
            "%(n)d Meldungen sind zu viele für den Near-Repeat-Test (höchstens %(max)d); bitte einen kürzeren "
            "Zeitraum oder einen Stadtteil wählen.", n=incidents, max=MAX_KNOX_REPORTS))])
    if pairs * permutations > MAX_KNOX_WORK:
        fit = MAX_KNOX_WORK // max(pairs, 1)
        hint = (_("höchstens %(n)d Permutationen", n=fit) if fit >= 19 else
                _("eine kleinere größte Entfernung, einen kürzeren Zeitraum oder einen Stadtteil"))
        raise ValidationFailed([("permutations", _(
            "%(pairs)s Paare × %(perms)d Permutationen sind zu viel Rechenarbeit (höchstens %(max)s Millionen "
            "Paar-Permutationen). Bitte wählen Sie %(hint)s.", pairs=format_number(pairs), perms=permutations,
            max=MAX_KNOX_WORK // 1_000_000, hint=hint))])
