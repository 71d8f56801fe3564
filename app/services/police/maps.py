"""Police maps and figures: run the hotspot methods for the filters and hand plain data to gis.maps_police."""
from __future__ import annotations

import numpy as np
from shapely.geometry import mapping
from sqlalchemy import text

from app.city import current_city
from app.extensions import db
from app.labels import category_label
from app.services.core.attribution import map_attribution
from app.services.core.workdays import city_timezone
from app.services.police import analyses, emerging, filters, offence_time, points
from app.services.police import exports as ex
from app.services.police import tags as tag_service
from gis import gistar as gi
from gis import maps_police as mp
from gis.projection import transformer

MAX_MARKERS = 1500  # above this, incidents are drawn aggregated per cell (maps of long periods stay fast)
AGGREGATE_CELL = 100.0
HEAT_PIXELS = 360


def _area_lonlat(f: filters.Filters) -> dict:
    return mapping(points.metric_to_wgs84(points.study_area(f)))


def _heat_overlay(d, area_m):
    """The density resampled onto a raster regular in Web Mercator over the area's WGS84 bounds."""
    minx, miny, maxx, maxy = points.metric_to_wgs84(area_m).bounds
    lats = mp.mercator_rows(miny, maxy, HEAT_PIXELS)
    lons = np.linspace(minx, maxx, HEAT_PIXELS + 1)
    lons = (lons[:-1] + lons[1:]) / 2
    glon, glat = np.meshgrid(lons, lats)
    x, y = transformer(4326, current_city().srid).transform(glon.ravel(), glat.ravel())
    values = d.sample(np.asarray(x), np.asarray(y)).reshape(glat.shape)
    return mp.density_png(values), [[miny, minx], [maxy, maxx]]


def incident_markers(f: filters.Filters, report_url) -> list[dict]:
    """Incidents for markers: position, date, category, address, tags, description, link."""
    out = []
    for r in ex.incident_rows(f, limit=MAX_MARKERS):
        out.append({"id": r["id"], "lat": r["lat"], "lon": r["lon"], "date": r["created_at"][:16].replace("T", " "),
                    "category_label": category_label(r["category"]), "address": r["address"],
                    "tags": r["tags"], "description": r["description"], "url": report_url(r["id"])})
    return out


MAX_TAG_LAYERS = 10


def tag_layers_for(f: filters.Filters, report_url) -> list[dict]:
    """The incidents of the (up to ten) most frequent tags within the filters, in one query."""
    where, params = filters.where_clause(f)
    rows = db.session.execute(text(f"""
        SELECT t.id AS tag_id, t.display_name, r.id, r.created_at, r.address, r.description,
               ST_X(r.location) AS lon, ST_Y(r.location) AS lat
        FROM reports r JOIN report_tags rt ON rt.report_id = r.id JOIN tags t ON t.id = rt.tag_id
        WHERE {where} ORDER BY t.id, r.created_at"""), params).mappings().all()
    tz = city_timezone()
    layers: dict[int, dict] = {}
    for r in rows:
        layer = layers.setdefault(r["tag_id"], {"name": r["display_name"], "incidents": []})
        layer["incidents"].append({"id": r["id"], "lat": r["lat"], "lon": r["lon"], "address": r["address"],
                                   "description": r["description"], "url": report_url(r["id"]),
                                   "date": r["created_at"].astimezone(tz).strftime("%Y-%m-%d")})
    return sorted(layers.values(), key=lambda t: -len(t["incidents"]))[:MAX_TAG_LAYERS]


def hotspot_map(f: filters.Filters, opts: dict, assets: mp.Assets, labels: dict, report_url) -> str:
    """The police hotspot map: clusters, Gi* cells, density, monthly slider, tags and incidents."""
    city = current_city()
    area_m = points.study_area(f)
    m = mp.base_map(city.center, city.zoom, map_attribution(), assets, labels["tiles"])
    mp.add_boundary(m, _area_lonlat(f), labels["area"])
    pts = points.fetch_points(f, attributes=True)  # once for every layer

    d, _, n = analyses.density(f, opts["bandwidth"], pts=pts)
    png, bounds = _heat_overlay(d, area_m)
    mp.add_heat(m, png, bounds, labels["kde_layer"].format(bw=int(d.bandwidth)), show=False)

    gres = analyses.gistar(f, opts["cell"], opts["shape"], opts["fdr"], pts=pts, permutations=opts["permutations"])
    if gres.sufficient:
        mp.add_gistar(m, ex.gistar_features(gres, significant_only=True), labels["gi_layer"], show=True)
    else:  # counts only: no classes from too few reports
        mp.add_cell_counts(m, ex.gistar_features(gres, significant_only=True), labels["counts_layer"], show=True)

    eres = emerging.emerging(f, opts["emerging_cell"], opts["shape"], opts["step"], opts["fdr"], opts["permutations"],
                             pts=pts)
    mp.add_emerging(m, ex.emerging_features(eres), labels["emerging_layer"], labels["patterns"], show=False)

    cres = analyses.dbscan(f, opts["eps"], opts["min_points"], pts=pts)
    mp.add_clusters(m, ex.cluster_features(cres), labels["cluster_layer"], labels["cluster_popup"])

    mp.add_monthly(m, analyses.monthly_cells(f, size=300.0, pts=pts), labels["monthly_layer"],
                   {"cell": 300, "title": labels["month"]}, show=False)

    tag_layers = tag_layers_for(f, report_url)
    mp.add_tags(m, tag_layers, labels["tag_popup"], show=False)

    if n <= MAX_MARKERS:
        mp.add_incidents(m, incident_markers(f, report_url), labels["incidents_layer"],
                         labels["incident_popup"], assets, show=False)
    else:
        keys = gi.cell_keys(pts.x, pts.y, AGGREGATE_CELL, "square")
        uniq, counts = gi.distinct_rows(keys)
        lonlat = points.to_lonlat(gi.cell_centres(uniq, AGGREGATE_CELL, "square"))
        cells = [(lon, lat, c) for (lon, lat), c in zip(lonlat, counts.tolist(), strict=True)]
        mp.add_aggregated_incidents(m, cells, labels["incidents_aggregated_layer"], AGGREGATE_CELL,
                                    show=False)

    if gres.sufficient:
        entries = [(mp.GI_COLOURS[k], labels["classes"][k]) for k in (3, 2, 1, -1, -2, -3)]
        notes = [labels["gi_note"].format(cell=int(opts["cell"]))]
    else:
        entries = [(mp.COUNT_COLOUR, labels["counts_layer"])]
        notes = [labels["too_few"]]
    entries.append((mp.CLUSTER_COLOUR, labels["cluster_layer"]))
    present = set(eres.patterns[emerging.pattern_cells(eres)].tolist()) if eres.sufficient else set()
    entries += [(c, labels["patterns"][code]) for code, c in mp.EMERGING_COLOURS.items() if code in present]
    if not eres.sufficient:
        notes.append(labels["emerging_too_few"])
    mp.add_legend(m, labels["legend"], entries, [labels["kde_note"].format(bw=int(d.bandwidth)), *notes])
    return mp.finish(m)


def tag_map(tag_id: int, name: str, assets: mp.Assets, labels: dict, report_url) -> str:
    """A map of one tag's incidents."""
    city = current_city()
    m = mp.base_map(city.center, city.zoom, map_attribution(), assets, labels["tiles"])
    mp.add_boundary(m, mapping(city.boundary), labels["area"])
    incidents = [{"id": r["id"], "lat": r["lat"], "lon": r["lon"], "address": r["address"],
                  "description": r["description"], "date": r["created_at"].strftime("%Y-%m-%d"),
                  "url": report_url(r["id"])} for r in tag_service.incidents(tag_id)]
    mp.add_tags(m, [{"name": name, "incidents": incidents}], labels["tag_popup"], show=True)
    if incidents:
        lats = [r["lat"] for r in incidents]
        lons = [r["lon"] for r in incidents]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], max_zoom=16)
    return mp.finish(m)


def figures(f: filters.Filters, opts: dict) -> dict:
    """The figures shown next to the map and on the print page."""
    pts = points.fetch_points(f, attributes=True)
    cres = analyses.dbscan(f, opts["eps"], opts["min_points"], pts=pts)
    gres = analyses.gistar(f, opts["cell"], opts["shape"], opts["fdr"], pts=pts, permutations=opts["permutations"])
    ev, before = analyses.evaluation(f, opts["cell"], opts["shape"], 0.95, opts["fdr"], pts=pts,
                                     permutations=opts["permutations"])
    k = gres.stats.klass
    return {"reports": gres.reports, "clusters": ex.cluster_features(cres)[:15], "cluster_count": len(cres.clusters),
            "clustered": cres.clustered, "dbscan": cres.parameters, "gistar": gres.parameters,
            "statement": gres.sufficient,
            "classes": {c: int((k == c).sum()) for c in (3, 2, 1, -1, -2, -3)}, "evaluation": ev,
            "before": before, "bandwidth": opts["bandwidth"], "times": offence_time.time_figures(f)}


def print_png(f: filters.Filters, opts: dict, title: str, legend_labels: dict) -> bytes:
    """The static map image for the printable page."""
    area_m = points.study_area(f)
    pts = points.fetch_points(f, attributes=True)
    d, _, _ = analyses.density(f, opts["bandwidth"], pts=pts)
    gres = analyses.gistar(f, opts["cell"], opts["shape"], opts["fdr"], pts=pts, permutations=opts["permutations"])
    cres = analyses.dbscan(f, opts["eps"], opts["min_points"], pts=pts)
    idx = np.flatnonzero(gres.stats.klass != 0)  # none when the reports are too few for a statement
    cells = [(gres.grid.polygon(i), int(gres.stats.klass[i])) for i in idx]
    legend = [(mp.GI_COLOURS[k], legend_labels[k]) for k in (3, 2, 1, -1, -2, -3)]
    legend.append((mp.CLUSTER_COLOUR, legend_labels["clusters"]))
    return mp.render_png(area_m, cells, [c.hull for c in cres.clusters], d, title=title, legend=legend)
