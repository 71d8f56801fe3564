"""The request parameters of police analyses, parsed in one place for the JSON API and the police pages:
filters, method options (eps, min_points, cell, shape, fdr, bandwidth), near-repeat bands, page numbers.

Every parser collects all problems and raises one ValidationFailed listing them (400 with a message per field).
"""
from __future__ import annotations

from itertools import pairwise

from flask_babel import gettext as _

from app.errors import ValidationFailed
from app.services.police import budget, filters, points
from gis.gistar import PERMUTATIONS
from gis.knox import DEFAULT_DAYS, DEFAULT_DISTANCES

MAX_PERMUTATIONS = 99_999


def number(args, name, default, lo, hi, errors, integer=False):
    """A bounded number from the query string (default when absent); appends a message when bad."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        errors.append((name, _("„%(name)s“ muss eine ganze Zahl sein.", name=name) if integer
                       else _("„%(name)s“ muss eine Zahl sein.", name=name)))
        return default
    if not (lo <= value <= hi):
        errors.append((name, _("%(field)s muss zwischen %(low)s und %(high)s liegen.", field=name, low=lo, high=hi)))
        return default
    return value


def flag(args, name, default, errors):
    """A true/false query parameter."""
    raw = (args.get(name) or "").lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    errors.append((name, _("„%(name)s“ muss true oder false sein.", name=name)))
    return default


def method_options(args, errors: list) -> dict:
    """Method-specific parameters with their defaults and bounds."""
    opts = {
        "eps": number(args, "eps", 50.0, 5, 1000, errors),
        "min_points": number(args, "min_points", 10, 2, 100000, errors, integer=True),
        "cell": number(args, "cell", 150.0, 25, 2000, errors),
        "shape": args.get("shape") or "hex",
        "fdr": flag(args, "fdr", True, errors),
        "bandwidth": number(args, "bandwidth", 150.0, 10, 5000, errors),
        "inference": args.get("inference") or "permutation",
        "step": args.get("step") or "month",
        "emerging_cell": number(args, "emerging_cell", 300.0, 50, 5000, errors),
        "permutations": number(args, "permutations", PERMUTATIONS, 99, MAX_PERMUTATIONS, errors, integer=True),
    }
    if opts["shape"] not in ("hex", "square"):
        errors.append(("shape", _("„shape“ muss hex oder square sein.")))
    if opts["step"] not in ("month", "quarter"):
        errors.append(("step", _("„step“ muss month oder quarter sein.")))
    if opts["inference"] not in ("permutation", "normal"):
        errors.append(("inference", _("„inference“ muss permutation oder normal sein.")))
    if opts["inference"] == "normal":
        opts["permutations"] = 0  # the normal approximation: no permutations
    return opts


def _raise(errors: list) -> None:
    if errors:
        raise ValidationFailed(errors)


def _filters(args, errors: list) -> filters.Filters | None:
    try:
        return filters.parse_filters(args)
    except ValidationFailed as exc:
        errors += exc.errors
        return None


def _within_budget(f: filters.Filters, opts: dict, errors: list) -> None:
    """Append the budget's message when the Gi* grid of these options would be too large (budget.check_gistar)."""
    try:
        budget.check_gistar(points.study_area(f), opts["cell"], opts["shape"])
    except ValidationFailed as exc:
        errors += exc.errors


def analysis_request(args, errors: list | None = None) -> tuple[filters.Filters, dict]:
    """Filters and method options of a police page; ValidationFailed with these and the `errors` found before
    (the options' work budget included)."""
    errors = list(errors or [])
    opts = method_options(args, errors)
    f = _filters(args, errors)
    if not errors:
        _within_budget(f, opts, errors)
    _raise(errors)
    return f, opts


def hotspot_request(args) -> tuple[str, filters.Filters, dict]:
    """Method, filters and options (with `significant_only`) of GET /api/v1/hotspots; ValidationFailed."""
    errors: list = []
    method = args.get("method", "")
    if method not in filters.METHODS:
        errors.append(("method", _("„method“ muss dbscan, gistar, kde oder emerging sein.")))
    opts = method_options(args, errors)
    opts["significant_only"] = flag(args, "significant_only", False, errors)
    f = _filters(args, errors)
    if not errors and method == "gistar":
        _within_budget(f, opts, errors)
    _raise(errors)
    return method, f, opts


def _bands(args, name, default, errors):
    raw = args.get(name)
    if not raw:
        return list(default)
    try:
        values = [float(v) for v in raw.split(",") if v.strip()]
    except ValueError:
        values = []
    if len(values) < 2 or any(b <= a for a, b in pairwise(values)) or values[0] < 0 or len(values) > 12:
        errors.append((name, _("Bitte 2 bis 12 aufsteigende Zahlen ab 0, durch Kommas getrennt.")))
        return list(default)
    return values


def near_repeat_request(args) -> tuple[filters.Filters, dict, list[float], list[float], int | None]:
    """Filters, options, distance and day bands and permutations (None: not asked for) of the near-repeat page;
    ValidationFailed."""
    errors: list = []
    distances = _bands(args, "distances", DEFAULT_DISTANCES, errors)
    days = _bands(args, "days", DEFAULT_DAYS, errors)
    raw = args.get("permutations") or ""
    permutations = int(raw) if raw.isdigit() and 19 <= int(raw) <= MAX_PERMUTATIONS else None
    if raw and permutations is None:
        errors.append(("permutations", _("Permutationen: eine ganze Zahl von 19 bis %(max)s.", max=MAX_PERMUTATIONS)))
    rest = args.copy()  # the Knox test's permutations are its own (the Gi* ones are not asked for here)
    rest.pop("permutations", None)
    f, opts = analysis_request(rest, errors)
    return f, opts, distances, days, permutations


def page_number(args) -> int:
    """The page of a paged list (?page=, from 1); 1 when absent or not a sensible number."""
    page = args.get("page", "1")
    return int(page) if page.isdigit() and 0 < int(page) < 100000 else 1
