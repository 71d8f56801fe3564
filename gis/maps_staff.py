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


CREW_COLOURS = ["#0055aa", "#1b7f3b", "#8e24aa", "#c75000", "#00838f", "#6d4c41"]
ICON_PX = 28
# Pushes markers whose icons would overlap on screen apart (at every zoom, from their true positions; a
# depot stays put unless it meets another depot), so numbers never hide each other or the depot.
DECLUTTER_JS = """
(function () {
  function declutter(map, markers) {
    var size = %(size)d;
    var base = markers.map(function (m) { return map.latLngToLayerPoint(m.getLatLng()); });
    var cur = base.map(function (p) { return {x: p.x, y: p.y}; });
    var fixed = markers.map(function (m) { return m.options.isDepot ? 1 : 0; });
    for (var it = 0; it < 300; it++) {
      var moved = false;
      for (var i = 0; i < cur.length; i++) {
        for (var j = i + 1; j < cur.length; j++) {
          var dx = cur[j].x - cur[i].x, dy = cur[j].y - cur[i].y, d = Math.sqrt(dx * dx + dy * dy);
          var apart = Math.max(Math.abs(dx), Math.abs(dy));  // icons are boxes: apart on one axis is enough
          if (apart >= size) { continue; }
          var wi = fixed[i] && !fixed[j] ? 0 : 1, wj = fixed[j] && !fixed[i] ? 0 : 1;
          if (d < 0.01) {  // the same spot: a direction of their own for each pair
            var a = ((i * 7 + j * 13) %% 16) * Math.PI / 8;
            dx = Math.cos(a); dy = Math.sin(a); d = 1; apart = Math.max(Math.abs(dx), Math.abs(dy));
          }
          var push = (d * size / apart - d) / (wi + wj) + 0.5;
          cur[i].x -= dx / d * push * wi; cur[i].y -= dy / d * push * wi;
          cur[j].x += dx / d * push * wj; cur[j].y += dy / d * push * wj;
          moved = true;
        }
      }
      if (!moved) { break; }
    }
    markers.forEach(function (m, k) {
      var el = m.getElement() && m.getElement().firstChild;
      if (!el) { return; }
      var ox = Math.round(cur[k].x - base[k].x), oy = Math.round(cur[k].y - base[k].y);
      el.style.transform = ox || oy ? "translate(" + ox + "px," + oy + "px)" : "";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var map = %(map)s, markers = [%(markers)s], depots = %(depots)s;
    markers.forEach(function (m) { m.options.isDepot = depots.indexOf(m) >= 0; });
    var run = function () { declutter(map, markers); };
    map.on("zoomend viewreset", run);
    run();
    document.body.setAttribute("data-decluttered", "1");
  });
})();
"""


def crew_letter(i: int) -> str:
    """A, B, C ...: the label of the i-th crew (0-based) before its stop numbers."""
    return chr(ord("A") + i % 26)


def _icon(html_text: str) -> folium.DivIcon:
    half = ICON_PX // 2
    return folium.DivIcon(html=html_text, icon_size=(ICON_PX, ICON_PX), icon_anchor=(half, half))


def day_map(depots: list[dict], tours: list[dict], static_base: str, candidates: list[dict] | None = None,
            footprints: list[dict] | None = None, boundary: dict | None = None, attribution: str = "",
            labels: dict | None = None, center: tuple[float, float] | None = None) -> folium.Map:
    """Crews' days on one map: depots (dark squares), each crew's route in its colour with numbered stops
    (A1, A2 ... B1 when several crews; 1, 2 ... for one), candidate jobs not planned as small dots, footprints.

    `depots`: name, lat, lon. `tours`: crew, depot (index into depots), stops (seq, lat, lon, priority, overdue,
    title, popup), path (optional [(lat, lon)] along the streets; else straight legs). `candidates`: lat, lon,
    title, popup. Markers that would overlap are spread around their spot at every zoom. All text is escaped here.
    """
    labels = {"depot": "Depot", "route": "Route", "buildings": "Gebäude", "candidates": "Planbare Aufträge",
              **(labels or {})}
    first = (depots[0]["lat"], depots[0]["lon"]) if depots else center or (0, 0)
    m = folium.Map(location=list(center or first), zoom_start=14, tiles=None, control_scale=True,
                   prefer_canvas=False)
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
    for c in candidates or []:
        folium.Marker([c["lat"], c["lon"]], popup=_popup(c["popup"]), tooltip=popup_text(c.get("title") or ""),
                      icon=folium.DivIcon(
                          html='<div class="candidate-icon" style="background:#888;border:2px solid #fff;'
                               'border-radius:50%;width:12px;height:12px;box-shadow:0 0 2px #000"></div>',
                          icon_size=(12, 12), icon_anchor=(6, 6))).add_to(m)
    bounds = [(d["lat"], d["lon"]) for d in depots]
    spread, depot_markers = [], []
    several = len(tours) > 1
    for i, t in enumerate(tours):
        colour = CREW_COLOURS[i % len(CREW_COLOURS)]
        depot = depots[t["depot"]]
        stops = t["stops"]
        if not stops:
            continue
        path = t.get("path") or ([(depot["lat"], depot["lon"])] + [(s["lat"], s["lon"]) for s in stops]
                                 + [(depot["lat"], depot["lon"])])
        folium.PolyLine([list(p) for p in path], color=colour, weight=4, opacity=0.8,
                        tooltip=popup_text(f'{labels["route"]} {t.get("crew") or ""}'.strip())).add_to(m)
        bounds += [(p[0], p[1]) for p in path]
        letter = crew_letter(i) if several else ""
        for s in stops:
            ring = f"3px solid {OVERDUE_COLOUR}" if s.get("overdue") else "2px solid #fff"
            prio = PRIORITY_COLOURS.get(int(s["priority"]), "#1f78b4")
            label = f'{letter}{int(s["seq"])}'
            icon = _icon(
                f'<div class="stop-icon" data-seq="{int(s["seq"])}" data-crew="{i}" data-label="{label}" '
                f'style="background:{colour};color:#fff;border:{ring};border-radius:50%;width:{ICON_PX}px;'
                f'height:{ICON_PX}px;line-height:{ICON_PX - 4}px;text-align:center;font-weight:bold;font-size:12px;'
                f'box-shadow:0 0 0 2px {prio},0 0 4px #000">{label}</div>')
            marker = folium.Marker([s["lat"], s["lon"]], icon=icon, popup=_popup(s["popup"]),
                                   tooltip=popup_text(f'{label}. {s.get("title") or ""}'), z_index_offset=1000)
            marker.add_to(m)
            spread.append(marker)
    for d in depots:
        marker = folium.Marker([d["lat"], d["lon"]], tooltip=popup_text(f'{labels["depot"]}: {d.get("name") or ""}'),
                               icon=_icon('<div class="depot-icon" style="background:#222;color:#fff;'
                                          f'border-radius:4px;width:{ICON_PX}px;height:{ICON_PX}px;'
                                          f'line-height:{ICON_PX}px;text-align:center;font-weight:bold;'
                                          'outline:2px solid #fff">D</div>'), z_index_offset=2000)
        marker.add_to(m)
        spread.append(marker)
        depot_markers.append(marker)
    m.get_root().script.add_child(folium.Element(DECLUTTER_JS % {
        "size": ICON_PX + 10, "map": m.get_name(), "markers": ",".join(k.get_name() for k in spread),
        "depots": "[" + ",".join(k.get_name() for k in depot_markers) + "]"}))
    if len(bounds) > 1:
        lats = [p[0] for p in bounds]
        lons = [p[1] for p in bounds]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(30, 30))
    return m


def plan_map(depot: tuple[float, float], stops: list[dict], footprints: list[dict], static_base: str,
             boundary: dict | None = None, attribution: str = "", labels: dict | None = None,
             path: list | None = None, depot_name: str = "") -> folium.Map:
    """One crew's day: depot, numbered stops coloured by priority, the route there and back, footprints."""
    return day_map([{"name": depot_name, "lat": depot[0], "lon": depot[1]}],
                   [{"crew": "", "depot": 0, "stops": stops, "path": path}], static_base, footprints=footprints,
                   boundary=boundary, attribution=attribution, labels=labels)
