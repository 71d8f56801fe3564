"""A deterministic demo city: building footprints along streets and two years of reports with hotspots.

Everything here is pure: it takes the city boundary and district centres in the metric CRS and a seed,
and returns plain records (geometry in metres). The app layer projects and stores them.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from shapely.geometry import LineString, Polygon
from shapely.prepared import prep

STREET_NAMES = [
    "Hauptstraße", "Bahnhofstraße", "Schulstraße", "Gartenstraße", "Kirchstraße", "Lindenstraße",
    "Bergstraße", "Wilhelmstraße", "Karlstraße", "Friedrichstraße", "Neckarstraße", "Weinsberger Straße",
    "Mühlstraße", "Rosenstraße", "Ringstraße", "Uhlandstraße", "Schillerstraße", "Goethestraße",
    "Mozartstraße", "Beethovenstraße", "Ludwigsburger Straße", "Frankfurter Straße", "Sülmerstraße",
    "Allee", "Fleiner Straße", "Kaiserstraße", "Turmstraße", "Wollhausstraße", "Paulinenstraße",
    "Bismarckstraße", "Moltkestraße", "Titotstraße", "Roßkampffstraße", "Happelstraße", "Kernerstraße",
    "Wartbergstraße", "Achtungstraße", "Karlsruher Straße", "Sontheimer Straße", "Böckinger Straße",
    "Klingenberger Straße", "Horkheimer Straße", "Frankenbacher Straße", "Kirchhausener Straße",
    "Biberacher Straße", "Ahornweg", "Birkenweg", "Eichenweg", "Tannenweg", "Buchenweg", "Erlenweg",
    "Am Wasserturm", "Im Breitenloch", "Salzstraße", "Oststraße", "Weststraße", "Südstraße",
    "Nordstraße", "Austraße", "Kranenstraße", "Gymnasiumstraße", "Cäcilienstraße", "Dammstraße",
    "Olgastraße", "Charlottenstraße", "Rollwagstraße", "Gerberstraße", "Klostergasse",
]

# usage -> (name pattern, owner type, department)
MUNICIPAL_USES = {
    "school": ("{kind}schule {district}", "municipal", "Schul-, Kultur- und Sportamt"),
    "sports_hall": ("Sporthalle {district}", "municipal", "Schul-, Kultur- und Sportamt"),
    "kindergarten": ("Kita {district}", "municipal", "Amt für Familie, Jugend und Senioren"),
    "youth_centre": ("Jugendhaus {district}", "municipal", "Amt für Familie, Jugend und Senioren"),
    "library": ("Stadtbibliothek {district}", "municipal", "Kulturamt"),
    "station": ("Haltestelle {district}", "municipal", "Amt für Straßenwesen"),
    "public_toilet": ("WC-Anlage {district}", "municipal", "Grünflächenamt"),
    "community_hall": ("Bürgerhaus {district}", "municipal", "Gebäudemanagement"),
    "fire_station": ("Feuerwache {district}", "municipal", "Feuerwehr"),
}
PUBLIC_USES = {
    "court": ("Amtsgericht", "public", "Land Baden-Württemberg"),
    "police": ("Polizeirevier {district}", "public", "Polizeipräsidium Heilbronn"),
    "university": ("Hochschule Campus {district}", "public", "Land Baden-Württemberg"),
    "county_office": ("Landratsamt", "public", "Landkreis Heilbronn"),
}
DESCRIPTIONS = [
    "Schriftzug an der Fassade", "Tag neben dem Eingang", "Großflächiges Graffiti an der Seitenwand",
    "Mehrere Tags am Garagentor", "Aufkleber am Fallrohr", "Plakate an der Wand geklebt",
    "Kratzer in der Glastür", "Eingeritzte Zeichen im Fenster", "Bemalte Sitzbank vor dem Gebäude",
    "Graffiti am Sockel", "Farbschmierereien am Tor", "", "", "",
]
OFFENSIVE_DESCRIPTIONS = [
    "Beleidigender Schriftzug am Eingang", "Hakenkreuz an der Wand", "Sexistischer Spruch an der Fassade",
    "Politische Parole, beleidigend", "Rassistische Schmiererei",
]
TAG_NAMES = ["NOIZ", "KRAK", "ZEBO", "HNX", "SEKT", "BLAU"]
METHODS = {  # method -> (euro per m², base euro)
    "paint_over": (18.0, 45.0),
    "pressure_washing": (26.0, 60.0),
    "chemical": (34.0, 70.0),
    "film_removal": (15.0, 40.0),
}
CREWS = ["Team Nord", "Team Süd", "Team Mitte"]


@dataclass
class DemoBuilding:
    """A building footprint in metres with its registry attributes."""

    footprint: Polygon
    address: str
    district: str
    owner_type: str = "private"
    department: str | None = None
    usage: str | None = None
    name: str | None = None


@dataclass
class DemoReport:
    """A report with its life: status path, removal and tag."""

    x: float
    y: float
    building: int
    created_at: datetime
    category: str
    offensive: bool
    description: str
    email: str | None
    events: list[tuple[str, datetime]] = field(default_factory=list)
    removal: dict | None = None
    tag: str | None = None
    duplicate_of: int | None = None
    retagged: bool = False

    @property
    def status(self) -> str:
        return self.events[-1][0] if self.events else "new"


def _rect(cx, cy, w, d, angle):
    """A w x d rectangle centred at (cx, cy), rotated by `angle` radians."""
    c, s = math.cos(angle), math.sin(angle)
    pts = []
    for dx, dy in ((-w / 2, -d / 2), (w / 2, -d / 2), (w / 2, d / 2), (-w / 2, d / 2)):
        pts.append((cx + dx * c - dy * s, cy + dx * s + dy * c))
    return Polygon(pts)


class _Grid:
    """A simple spatial hash to keep footprints from overlapping."""

    def __init__(self, cell=60.0):
        self.cell = cell
        self.cells: dict[tuple[int, int], list[Polygon]] = {}

    def _keys(self, geom):
        minx, miny, maxx, maxy = geom.bounds
        for i in range(int(minx // self.cell), int(maxx // self.cell) + 1):
            for j in range(int(miny // self.cell), int(maxy // self.cell) + 1):
                yield (i, j)

    def free(self, geom) -> bool:
        return not any(g.intersects(geom) for k in self._keys(geom) for g in self.cells.get(k, ()))

    def add(self, geom):
        for k in self._keys(geom):
            self.cells.setdefault(k, []).append(geom)


def generate_buildings(boundary_m, centres_m: dict[str, tuple[float, float]], seed: int,
                       core: str | None = None) -> list[DemoBuilding]:
    """Lay building footprints along a street grid around each district centre, inside the boundary."""
    rng = np.random.default_rng(seed)
    inside = prep(boundary_m.buffer(-5))
    grid = _Grid()
    buildings: list[DemoBuilding] = []
    street_no = 0
    for district, (cx, cy) in centres_m.items():
        dense = district == core
        radius = 1100.0 if dense else rng.uniform(550, 850)
        spacing = 85.0 if dense else rng.uniform(105, 140)
        angle = rng.uniform(0, math.pi / 2)
        ux, uy = math.cos(angle), math.sin(angle)
        vx, vy = -uy, ux
        n_lines = int(radius // spacing)
        for orientation in (0, 1):
            ax, ay = (ux, uy) if orientation == 0 else (vx, vy)  # street direction
            px, py = (vx, vy) if orientation == 0 else (ux, uy)  # offset direction
            for k in range(-n_lines, n_lines + 1):
                off = k * spacing
                half = math.sqrt(max(radius**2 - off**2, 0.0))
                if half < 60:
                    continue
                sx, sy = cx + px * off - ax * half, cy + py * off - ay * half
                name = STREET_NAMES[street_no % len(STREET_NAMES)]
                street_no += 1
                numbers = [1, 2]
                t = rng.uniform(5, 15)
                while t < 2 * half:
                    for side in (-1, 1):
                        if rng.random() > (0.85 if dense else 0.6):
                            continue
                        w, d = rng.uniform(10, 20), rng.uniform(9, 15)
                        if dense:
                            w, d = rng.uniform(14, 26), rng.uniform(11, 17)
                        setback = 6 + d / 2
                        bx = sx + ax * t + side * px * setback
                        by = sy + ay * t + side * py * setback
                        poly = _rect(bx, by, w, d, math.atan2(ay, ax))
                        if not inside.contains(poly) or not grid.free(poly.buffer(1.5)):
                            continue
                        grid.add(poly)
                        idx = 0 if side < 0 else 1
                        buildings.append(DemoBuilding(poly, f"{name} {numbers[idx]}", district))
                        numbers[idx] += 2
                    t += rng.uniform(20, 30)
    _assign_uses(buildings, rng, core)
    return buildings


def _assign_uses(buildings: list[DemoBuilding], rng, core: str | None) -> None:
    """Make some buildings municipal or other public, by district."""
    by_district: dict[str, list[int]] = {}
    for i, b in enumerate(buildings):
        by_district.setdefault(b.district, []).append(i)
    plan = [("school", "Grund"), ("school", "Real"), ("school", "Gemeinschafts"), ("sports_hall", None),
            ("sports_hall", None), ("kindergarten", None), ("kindergarten", None), ("kindergarten", None),
            ("youth_centre", None), ("library", None), ("community_hall", None), ("public_toilet", None)]
    plan += [("station", None)] * 8
    for district in sorted(by_district):
        candidates = list(by_district[district])
        rng.shuffle(candidates)
        for (usage, kind), i in zip(plan, candidates, strict=False):  # small districts get fewer of the plan
            pattern, owner, dept = MUNICIPAL_USES[usage]
            b = buildings[i]
            b.usage, b.owner_type, b.department = usage, owner, dept
            b.name = pattern.format(kind=kind or "", district=district)
            if usage == "station":
                b.name += f" {b.address.rsplit(' ', 1)[0]}"
        left = candidates[len(plan):len(plan) + 2]  # a police and a fire station where buildings are left
        for usage, i in zip(["police", "fire_station"], left, strict=False):
            pattern, owner, dept = {**MUNICIPAL_USES, **PUBLIC_USES}[usage]
            b = buildings[i]
            b.usage, b.owner_type, b.department, b.name = usage, owner, dept, pattern.format(district=district)
    if core in by_district:
        centre = by_district[core]
        specials = [("town_hall", "Rathaus", "municipal", "Gebäudemanagement"),
                    ("station", "Hauptbahnhof", "municipal", "Amt für Straßenwesen"),
                    ("university", "Hochschule Campus Innenstadt", "public", "Land Baden-Württemberg"),
                    ("court", "Amtsgericht", "public", "Land Baden-Württemberg"),
                    ("county_office", "Landratsamt", "public", "Landkreis Heilbronn"),
                    ("school", "Gymnasium Innenstadt", "municipal", "Schul-, Kultur- und Sportamt"),
                    ("theatre", "Theater", "municipal", "Kulturamt")]
        free = [i for i in centre if buildings[i].usage is None]
        spread = free[:: max(1, len(free) // 9)]  # up to nine buildings spread over the centre, or fewer
        for (usage, name, owner, dept), i in zip(specials, spread, strict=False):
            b = buildings[i]
            b.usage, b.name, b.owner_type, b.department = usage, name, owner, dept


def _season_weight(day: datetime) -> float:
    """More graffiti reported in spring and summer."""
    return 1.0 + 0.35 * math.sin((day.timetuple().tm_yday - 80) / 365.0 * 2 * math.pi)


def generate_reports(buildings: list[DemoBuilding], hotspots_m: list[tuple[float, float, float]],
                     n: int, until: datetime, seed: int, days: int = 730, measures: list | None = None
                     ) -> list[DemoReport]:
    """Two years of reports: hotspots, prolific sprayers with tags, weekday/time patterns, statuses; with a
    `measures` list, the demo's prevention measures are planned into it and their effects built into the
    reports (before each report's life is played out)."""
    rng = np.random.default_rng(seed + 1)
    cent = np.array([[b.footprint.centroid.x, b.footprint.centroid.y] for b in buildings])
    weight = np.full(len(buildings), 0.15)
    for hx, hy, sigma in hotspots_m:
        d2 = ((cent - [hx, hy]) ** 2).sum(axis=1)
        weight += 4.0 * np.exp(-d2 / (2 * sigma**2))
    weight *= np.array([40.0 if b.usage in ("school", "station", "sports_hall", "youth_centre") else 20.0 if b.owner_type != "private" else 1.0
                        for b in buildings])
    reports = []
    for b_idx, at, tag in _incidents(rng, cent, weight, until - timedelta(days=days), days, n):
        report = _reported(rng, buildings[b_idx], b_idx, at, tag, until, len(reports) + 1)
        if report is not None:
            reports.append(report)
    if measures is not None:
        # plan on the reports the evaluation will count (no duplicates, none rejected): a trial run of their lives
        trial = sorted(copy.deepcopy(reports), key=lambda r: r.created_at)
        _live(trial, buildings, until, np.random.default_rng(seed + 4))
        counted = [r for r in trial if r.status not in ("duplicate", "rejected")]
        measures.extend(plan_measures(counted, buildings, until))
        reports = apply_measures(reports, buildings, measures, np.random.default_rng(seed + 3))
    reports.sort(key=lambda r: r.created_at)
    _live(reports, buildings, until, rng)
    return reports


@dataclass
class DemoMeasure:
    """A prevention measure of the demo around one building, and the effect built into the reports after its start."""

    kind: str
    effect: str           # "reduce": most graffiti stays away; "displace": it moves round the corner; "none"
    building: int         # the building it is named after; the treatment area is the circle of RADIUS_M around it
    start: datetime
    months: int
    title: str
    office: str
    cost_eur: float
    description: str
    area: Polygon | None = None


# (kind, effect, which buildings qualify, title, office, cost, description)
DEMO_MEASURES = (
    ("coating", "reduce", lambda b: b.owner_type == "municipal", "Anti-Graffiti-Beschichtung {name}",
     "Gebäudemanagement", 18500.0, "Opferschicht auf Fassaden und Eingangsbereichen, Entfernung binnen 24 Stunden."),
    ("legal_wall", "displace", lambda b: b.owner_type != "private", "Legale Wand am {name}",
     "Amt für Familie, Jugend und Senioren", 6000.0, "Freigegebene Fläche für Sprayer mit einem Jugendhaus-Projekt."),
    ("lighting", "none", lambda b: True, "LED-Beleuchtung {name}", "Amt für Straßenwesen", 9800.0,
     "Bewegungsmelder und helle LED-Leuchten rund um die Haltestelle."),
)
RADIUS_M = 100.0           # the demo's treatment areas: a circle of this radius around the building
MEASURE_SPACING_M = 1100.0 # the demo's measures lie this far apart, so that their surroundings do not overlap
DISPLACE_TO_M = (130.0, 260.0)  # "round the corner": inside the default 200 m ring, outside the treatment area
MEASURE_MONTHS = 11        # before and after: the whole months two years of reports hold around the start
MIN_AROUND = 60            # reports in a candidate's area in those months, so that the evaluation can judge


def _add_months(day: datetime, n: int) -> datetime:
    y, m = divmod(day.month - 1 + n, 12)
    return day.replace(year=day.year + y, month=m + 1)


def plan_measures(reports: list[DemoReport], buildings: list[DemoBuilding], until: datetime) -> list[DemoMeasure]:
    """The demo's measures: each around the qualifying building with the most reports within RADIUS_M, far from
    the others, started on the first of the month a year before `until` and evaluated over the eleven whole
    months before and after it that the two years of reports hold."""
    cent = np.array([[b.footprint.centroid.x, b.footprint.centroid.y] for b in buildings])
    counts = np.bincount([r.building for r in reports], minlength=len(buildings))
    start = until.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = start.replace(year=start.year - 1)
    first, last = _add_months(start, -MEASURE_MONTHS), _add_months(start, MEASURE_MONTHS)
    before = np.bincount([r.building for r in reports if first <= r.created_at < start], minlength=len(buildings))
    after = np.bincount([r.building for r in reports if start <= r.created_at < last], minlength=len(buildings))
    trend = np.log((after.sum() + 1) / (before.sum() + 1))
    # Candidates: those with enough reports around them first, each group ranked by how closely it followed the
    # city's trend without a measure (so that the effect built in is the effect the evaluation finds).
    steadiness = {}
    for i in np.argsort(-counts, kind="stable")[:400]:
        near = ((cent - cent[i]) ** 2).sum(axis=1) <= RADIUS_M**2
        b_n, a_n = int(before[near].sum()), int(after[near].sum())
        steadiness[int(i)] = (b_n + a_n < MIN_AROUND, abs(np.log((a_n + 1) / (b_n + 1)) - trend))
    chosen: list[DemoMeasure] = []
    for kind, effect, qualifies, title, office, cost, description in DEMO_MEASURES:
        for i in sorted(steadiness, key=lambda k: (steadiness[k], k)):
            b = buildings[i]
            if qualifies(b) and all(np.hypot(*(cent[i] - cent[m.building])) > MEASURE_SPACING_M for m in chosen):
                chosen.append(DemoMeasure(kind, effect, i, start, MEASURE_MONTHS, title.format(name=b.name or b.address),
                                          office, cost, description, b.footprint.centroid.buffer(RADIUS_M, 16)))
                break
    return chosen


def apply_measures(reports: list[DemoReport], buildings: list[DemoBuilding], measures: list[DemoMeasure],
                   rng) -> list[DemoReport]:
    """The reports with each measure's effect inside its area after its start: "reduce" keeps one in five,
    "displace" moves eight in ten to buildings 130-260 m away (round the corner), "none" changes nothing."""
    cent = np.array([[b.footprint.centroid.x, b.footprint.centroid.y] for b in buildings])
    out = []
    for r in reports:
        m = next((m for m in measures if r.created_at >= m.start and m.effect != "none"
                  and np.hypot(*(cent[r.building] - cent[m.building])) <= RADIUS_M), None)
        if m is None:
            out.append(r)
        elif m.effect == "reduce":
            if rng.random() < 0.2:
                out.append(r)
        else:
            if rng.random() < 0.8:
                d = np.hypot(*(cent - cent[m.building]).T)
                near = np.flatnonzero((d >= DISPLACE_TO_M[0]) & (d <= DISPLACE_TO_M[1]))
                if near.size:
                    j = int(rng.choice(near))
                    ring = buildings[j].footprint.exterior
                    p = ring.interpolate(rng.uniform(0, ring.length))
                    r.building, r.x, r.y = j, p.x + rng.normal(0, 1.0), p.y + rng.normal(0, 1.0)
            out.append(r)
    return out


def _incidents(rng, cent: np.ndarray, weight: np.ndarray, start: datetime, days: int,
               n: int) -> list[tuple[int, datetime, str | None]]:
    """n incidents (building index, time, tag or None): sprayers' night sessions and background graffiti."""
    p_background = weight / weight.sum()
    day_weights = np.array([_season_weight(start + timedelta(days=d)) * (1 + 0.25 * d / days)
                            for d in range(days)])
    day_p = day_weights / day_weights.sum()

    # A few prolific sprayers: each has a home range and tags in sessions of several nearby buildings.
    sprayers = []
    for tag in TAG_NAMES:
        home = cent[rng.choice(len(cent), p=p_background)]
        d2 = ((cent - home) ** 2).sum(axis=1)
        local = np.exp(-d2 / (2 * rng.uniform(350, 700) ** 2)) * weight
        active_from = int(rng.integers(0, days // 2))
        active_to = int(min(days, active_from + rng.integers(days // 3, days)))
        sprayers.append((tag, local / local.sum(), active_from, active_to))

    incidents: list[tuple[int, datetime, str | None]] = []
    n_sprayer = int(n * 0.35)
    while len(incidents) < n_sprayer:
        tag, p_local, a, b = sprayers[int(rng.integers(len(sprayers)))]
        day = int(rng.integers(a, b))
        night = start + timedelta(days=day, hours=int(rng.integers(21, 28)))
        first = int(rng.choice(len(cent), p=p_local))
        session = [first]
        near = np.argsort(((cent - cent[first]) ** 2).sum(axis=1))[1:12]
        session += [int(j) for j in rng.choice(near, size=int(rng.integers(0, 5)), replace=False)]
        for j in session:
            incidents.append((j, night + timedelta(minutes=int(rng.integers(0, 90))), tag))
    while len(incidents) < n:
        day = int(rng.choice(days, p=day_p))
        night = start + timedelta(days=day, hours=int(rng.integers(20, 30)))
        incidents.append((int(rng.choice(len(cent), p=p_background)), night, None))
    return incidents[:n]


def _reported(rng, building: DemoBuilding, b_idx: int, at: datetime, tag: str | None, until: datetime,
              number: int) -> DemoReport | None:
    """The citizen's report of an incident, None when it would come after `until`.

    Citizens report the morning after or within a few days, by day, more often on Mondays.
    """
    delay_days = int(rng.choice([0, 1, 1, 2, 3, 5]))
    day = (at + timedelta(days=delay_days)).replace(hour=0, minute=0, second=0, microsecond=0)
    if day.weekday() >= 5 and rng.random() < 0.5:
        day += timedelta(days=7 - day.weekday())
    hour = float(np.clip(rng.normal(12.5, 3.2), 7, 21))
    created = day + timedelta(hours=hour)
    if created > until:
        return None
    poly = building.footprint
    edge = poly.exterior.interpolate(rng.uniform(0, poly.exterior.length))
    toward = LineString([edge, poly.centroid]).interpolate(float(rng.uniform(-3, 1)))
    x, y = toward.x + rng.normal(0, 1.5), toward.y + rng.normal(0, 1.5)
    offensive = bool(rng.random() < 0.07)
    category = "graffiti" if tag else str(rng.choice(
        ["graffiti", "sticker", "scratching", "other"], p=[0.68, 0.17, 0.08, 0.07]))
    desc = str(rng.choice(OFFENSIVE_DESCRIPTIONS if offensive else DESCRIPTIONS))
    email = f"buerger{number}@example.org" if rng.random() < 0.3 else None
    return DemoReport(x, y, b_idx, created, category, offensive, desc, email, tag=tag)


def _live(reports: list[DemoReport], buildings: list[DemoBuilding], until: datetime, rng) -> None:
    """Give each report its history: duplicates, triage, scheduling, removal, closing, re-tagging."""
    open_job: dict[int, tuple[int, datetime]] = {}   # building -> (report index, created)
    last_removed: dict[int, datetime] = {}
    for i, r in enumerate(reports):
        b = buildings[r.building]
        r.events.append(("new", r.created_at))
        job = open_job.get(r.building)
        if job and reports[job[0]].status in ("new", "verified", "scheduled", "notify_owner") \
                and r.created_at - job[1] <= timedelta(days=30):
            r.duplicate_of = job[0]
            r.events.append(("duplicate", r.created_at + timedelta(minutes=1)))
            continue
        removed = last_removed.get(r.building)
        r.retagged = bool(removed and r.created_at - removed <= timedelta(days=90))
        open_job[r.building] = (i, r.created_at)

        def step(status, after_hours, r=r):  # called in this iteration only; bound to be sure
            at = r.events[-1][1] + timedelta(hours=float(after_hours))
            if at <= until:
                r.events.append((status, at))
                return True
            return False

        if rng.random() < 0.04:
            step("rejected", rng.uniform(2, 48))
            continue
        if not step("verified", rng.uniform(1, 72)):
            continue
        if b.owner_type == "private" and not r.offensive:
            if step("notify_owner", rng.uniform(1, 24)) and rng.random() < 0.95:
                step("closed", rng.uniform(24 * 14, 24 * 42))
            continue
        urgent = r.offensive or b.owner_type == "municipal"
        if not step("scheduled", rng.uniform(1, 24 if r.offensive else 120)):
            continue
        hours = rng.uniform(2, 20) if r.offensive else (
            rng.gamma(2.0, 30.0) if urgent else rng.gamma(2.5, 110.0))
        if rng.random() < 0.1:  # a backlog: some jobs wait for weeks (weather, access, material)
            hours += rng.uniform(14 * 24, 45 * 24)
        if not step("removed", hours):
            continue
        removed_at = r.events[-1][1]
        last_removed[r.building] = removed_at
        method = str(rng.choice(list(METHODS), p=[0.45, 0.3, 0.15, 0.1]))
        area = float(np.clip(rng.lognormal(1.2, 0.7), 0.5, 40))
        rate, base = METHODS[method]
        cost = round(base + area * rate * rng.uniform(0.85, 1.2), 2)
        r.removal = {"removed_on": removed_at.date(), "crew": str(rng.choice(CREWS)), "method": method,
                     "area_m2": round(area, 1), "cost_eur": cost}
        step("closed", rng.uniform(12, 24 * 5))
