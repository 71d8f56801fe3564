"""Folium maps for building management: a crew's day with numbered stops, route, footprints; offline assets."""
from __future__ import annotations

import html

import folium

PRIORITY_COLOURS = {1: "#b00020", 2: "#e66100", 3: "#1f78b4", 4: "#6a3d9a"}
OVERDUE_COLOUR = "#000000"


def popup_text(value) -> str:
    """Escape user text for a folium popup: HTML-escaped, and safe inside folium's JS template literal."""
    return (html.escape("" if value is None else str(value), quote=True)
            .replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;"))


def offline(m: folium.Map, static_base: str) -> folium.Map:
    """Load Leaflet (and jQuery, which folium's popups use) from local copies instead of CDNs."""
    m.default_js = [("leaflet", f"{static_base}/leaflet/leaflet.js"),
                    ("jquery", f"{static_base}/jquery/jquery.min.js")]
    m.default_css = [("leaflet_css", f"{static_base}/leaflet/leaflet.css")]
    return m


def _popup(lines: list[tuple[str, object]]) -> folium.Popup:
    body = "<br>".join(f"<b>{popup_text(k)}</b> {popup_text(v)}" for k, v in lines)
    return folium.Popup(body, max_width=320)


def plan_map(depot: tuple[float, float], stops: list[dict], footprints: list[dict], static_base: str,
             boundary: dict | None = None, attribution: str = "", labels: dict | None = None) -> folium.Map:
    """The crew-day map: depot, numbered stops coloured by priority, the route there and back, footprints.

    `depot` is (lat, lon); each stop has seq, lat, lon, priority, overdue and popup (a list of label/value pairs);
    `footprints` are GeoJSON geometries (WGS84). All text is escaped here.
    """
    labels = {"depot": "Depot", "route": "Route", "buildings": "Gebäude", **(labels or {})}
    m = folium.Map(location=list(depot), zoom_start=14, tiles=None, control_scale=True, prefer_canvas=False)
    offline(m, static_base)
    folium.TileLayer("OpenStreetMap", attr="© OpenStreetMap" + (f" · {html.escape(attribution)}" if attribution else ""),
                     name="OpenStreetMap").add_to(m)
    if boundary:
        folium.GeoJson(boundary, name="boundary", style_function=lambda _: {
            "color": "#555", "weight": 2, "fill": False, "dashArray": "4 4"}).add_to(m)
    if footprints:
        fc = {"type": "FeatureCollection",
              "features": [{"type": "Feature", "geometry": g, "properties": {}} for g in footprints]}
        folium.GeoJson(fc, name=labels["buildings"], style_function=lambda _: {
            "color": "#444", "weight": 1, "fillColor": "#999", "fillOpacity": 0.35}).add_to(m)
    path = [list(depot)] + [[s["lat"], s["lon"]] for s in stops] + [list(depot)]
    if stops:
        folium.PolyLine(path, color="#0055aa", weight=4, opacity=0.8, tooltip=labels["route"]).add_to(m)
    folium.Marker(list(depot), tooltip=labels["depot"], icon=folium.DivIcon(
        html='<div class="depot-icon" style="background:#222;color:#fff;border-radius:4px;'
             'width:28px;height:28px;line-height:28px;text-align:center;font-weight:bold">D</div>',
        icon_size=(28, 28), icon_anchor=(14, 14))).add_to(m)
    for s in stops:
        colour = PRIORITY_COLOURS.get(int(s["priority"]), "#1f78b4")
        ring = f"3px solid {OVERDUE_COLOUR}" if s.get("overdue") else "2px solid #fff"
        icon = folium.DivIcon(
            html=(f'<div class="stop-icon" data-seq="{int(s["seq"])}" style="background:{colour};color:#fff;'
                  f'border:{ring};border-radius:50%;width:28px;height:28px;line-height:24px;'
                  f'text-align:center;font-weight:bold;box-shadow:0 0 3px #000">{int(s["seq"])}</div>'),
            icon_size=(28, 28), icon_anchor=(14, 14))
        folium.Marker([s["lat"], s["lon"]], icon=icon, popup=_popup(s["popup"]),
                      tooltip=popup_text(f'{int(s["seq"])}. {s.get("title") or ""}')).add_to(m)
    if stops:
        lats = [p[0] for p in path]
        lons = [p[1] for p in path]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(30, 30))
    return m
