"""Police maps: folium (offline: local Leaflet assets) with a layer control and legends, and a static PNG.

Everything here takes plain data (GeoJSON-like dicts in WGS84, numpy arrays, already translated labels)
and returns HTML or PNG bytes. All text that may come from users (tag names, descriptions, addresses)
is escaped here before it reaches folium, which treats popup and tooltip text as HTML.
"""
from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass, field

import folium
import numpy as np
from branca.element import MacroElement
from folium.plugins import MarkerCluster
from folium.template import Template
from PIL import Image, ImageDraw, ImageFont

GI_COLOURS = {3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7", -1: "#d1e5f0", -2: "#67a9cf", -3: "#2166ac"}
CLUSTER_COLOUR = "#6a3d9a"
COUNT_COLOUR = "#7f7f7f"
# Monthly circles: green, apart from the coldspots' blues and from every other layer's colour.
MONTHLY_COLOUR, MONTHLY_FILL = "#1b7837", "#5aae61"
EMERGING_COLOURS = {
    "new_hot": "#fdae61", "consecutive_hot": "#f46d43", "intensifying_hot": "#a50026", "persistent_hot": "#d73027",
    "diminishing_hot": "#f4a582", "sporadic_hot": "#fddbc7", "oscillating_hot": "#c51b7d",
    "historical_hot": "#8c6d31", "new_cold": "#abd9e9", "consecutive_cold": "#74add1",
    "intensifying_cold": "#313695", "persistent_cold": "#4575b4", "diminishing_cold": "#92c5de",
    "sporadic_cold": "#d1e5f0", "oscillating_cold": "#4d9221", "historical_cold": "#5a5a8c",
}  # cells drawn with their counts only (too few reports for hot/cold classes)
TAG_COLOURS = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#999999",
               "#1b9e77", "#d95f02"]


@dataclass
class Assets:
    """URLs of the locally served JS/CSS the maps need (no CDN)."""

    leaflet_js: str
    leaflet_css: str
    markercluster_js: str
    markercluster_css: list[str]
    police_js: str
    extra_css: list[str] = field(default_factory=list)


def esc(value) -> str:
    """HTML-escaped text of any value (None -> empty)."""
    return html.escape("" if value is None else str(value), quote=True)


def _json_for_script(data) -> str:
    """JSON safe to embed in a <script> (no closing tags, no HTML comment openers)."""
    return json.dumps(data, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "&", "\\u0026")


class _Call(MacroElement):
    """A call of a police_map.js function in the map's script: the map (with_map), the layer group's name
    (group), then each of `data` as JSON safe inside <script>."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.function }}({% if this.with_map %}{{ this._parent.get_name() }}, {% endif %}{{ this.arguments }});
        {% endmacro %}
    """)

    def __init__(self, function: str, *data, group: str | None = None, with_map: bool = False):
        super().__init__()
        self._name = function[:1].upper() + function[1:]
        self.function = function
        self.with_map = with_map
        self.arguments = ", ".join(([group] if group else []) + [_json_for_script(d) for d in data])


def base_map(center, zoom: int, attribution: str, assets: Assets, tiles_name: str = "OpenStreetMap") -> folium.Map:
    """A folium map that loads Leaflet from `assets` only, with an OSM tile layer (may fail offline)."""
    m = folium.Map(location=list(center), zoom_start=zoom, tiles=None, control_scale=True, prefer_canvas=True)
    m.default_js = [("leaflet", assets.leaflet_js), ("police_map", assets.police_js)]
    m.default_css = [("leaflet_css", assets.leaflet_css)] + [(f"css{i}", u) for i, u in enumerate(assets.extra_css)]
    folium.TileLayer("OpenStreetMap", name=esc(tiles_name),
                     attr="© OpenStreetMap" + (" · " + esc(attribution) if attribution else "")).add_to(m)
    return m


def add_boundary(m: folium.Map, geometry: dict, name: str) -> None:
    """The study area's outline (not clickable)."""
    folium.GeoJson({"type": "Feature", "geometry": geometry, "properties": {}}, name=esc(name), control=False,
                   style_function=lambda _: {"color": "#333", "weight": 2, "fill": False, "dashArray": "4 4"},
                   interactive=False).add_to(m)


def add_clusters(m: folium.Map, features: list[dict], name: str, labels: dict) -> None:
    """DBSCAN cluster hulls with a popup of their figures (built as text in the browser)."""
    group = folium.FeatureGroup(name=esc(name), show=True)
    group.add_to(m)
    rows = []
    for f in features:
        p = f["properties"]
        share = p.get("retagged_share")
        rows.append({"type": "Feature", "geometry": f["geometry"], "properties": {"lines": [
            [labels["cluster"], f"{p['cluster']}: {p['name']}" if p.get("name") else str(p["cluster"])],
            [labels["reports"], str(p["reports"])],
            [labels["period"], f"{p['first']} – {p['last']}"], [labels["buildings"], str(p["buildings"])],
            [labels["retagged"], "–" if share is None else f"{share * 100:.0f} %"]]}})
    m.add_child(_Call("policeClusters", {"type": "FeatureCollection", "features": rows}, {"color": CLUSTER_COLOUR},
                      group=group.get_name()))


def add_gistar(m: folium.Map, features: list[dict], name: str, show: bool = True) -> None:
    """Gi* cells coloured by class (only significant cells are drawn); tooltip with count, z and p."""
    sig = [f for f in features if f["properties"]["class"] != 0]
    group = folium.FeatureGroup(name=esc(name), show=show)
    if sig:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [
                {"type": "Feature", "geometry": f["geometry"],
                 "properties": {"n": f["properties"]["reports"], "z": round(f["properties"]["z"], 2),
                                "p": float(f"{f['properties']['p']:.2g}"), "c": f["properties"]["class"]}}
                for f in sig]},
            style_function=lambda f: {"color": GI_COLOURS[f["properties"]["c"]], "weight": 1,
                                      "fillColor": GI_COLOURS[f["properties"]["c"]], "fillOpacity": 0.55},
            tooltip=folium.GeoJsonTooltip(fields=["n", "z", "p"], aliases=["n", "z", "p"]),
        ).add_to(group)
    group.add_to(m)


def add_cell_counts(m: folium.Map, features: list[dict], name: str, show: bool = True) -> None:
    """Grid cells with reports, in grey, their count as tooltip: no classes (too few reports for a statement)."""
    group = folium.FeatureGroup(name=esc(name), show=show)
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [
                {"type": "Feature", "geometry": f["geometry"], "properties": {"n": f["properties"]["reports"]}}
                for f in features]},
            style_function=lambda _: {"color": COUNT_COLOUR, "weight": 1, "fillColor": COUNT_COLOUR,
                                      "fillOpacity": 0.35},
            tooltip=folium.GeoJsonTooltip(fields=["n"], aliases=["n"]),
        ).add_to(group)
    group.add_to(m)


def add_emerging(m: folium.Map, features: list[dict], name: str, names: dict, show: bool = False) -> None:
    """Emerging hot spot cells coloured by pattern; tooltip with the pattern's name and the reports."""
    group = folium.FeatureGroup(name=esc(name), show=show)
    cells = [f for f in features if f["properties"]["pattern"] in EMERGING_COLOURS]
    if cells:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [
                {"type": "Feature", "geometry": f["geometry"],
                 "properties": {"c": f["properties"]["pattern"], "pattern": esc(names[f["properties"]["pattern"]]),
                                "n": f["properties"]["reports"]}} for f in cells]},
            style_function=lambda f: {"color": EMERGING_COLOURS[f["properties"]["c"]], "weight": 1,
                                      "fillColor": EMERGING_COLOURS[f["properties"]["c"]], "fillOpacity": 0.6},
            tooltip=folium.GeoJsonTooltip(fields=["pattern", "n"], aliases=["", "n"]),
        ).add_to(group)
    group.add_to(m)


def density_png(values: np.ndarray) -> bytes:
    """A transparent-to-red PNG of a density raster (row 0 at the top)."""
    buf = io.BytesIO()
    Image.fromarray(density_rgba(values), "RGBA").save(buf, "PNG", optimize=True)
    return buf.getvalue()


def density_rgba(values: np.ndarray) -> np.ndarray:
    """The colours of density_png as an RGBA array (rows, columns, 4) of uint8."""
    v = np.asarray(values, dtype=float)
    peak = v.max() if v.size and v.max() > 0 else 1.0
    t = np.clip(v / peak, 0, 1)
    rgba = np.zeros(v.shape + (4,), dtype=np.uint8)
    rgba[..., 0] = 255
    rgba[..., 1] = (230 * (1 - t)).astype(np.uint8)
    rgba[..., 2] = (60 * (1 - t)).astype(np.uint8)
    rgba[..., 3] = (np.sqrt(t) * 200 * (t > 0.03)).astype(np.uint8)
    return rgba


def mercator_rows(south: float, north: float, n: int) -> np.ndarray:
    """Latitudes of n pixel-row centres from north to south, evenly spaced in Web Mercator."""
    def y(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    ys = np.linspace(y(north), y(south), n + 1)
    mid = (ys[:-1] + ys[1:]) / 2
    return np.degrees(np.arctan(np.sinh(mid)))


def add_heat(m: folium.Map, image_png: bytes, bounds, name: str, show: bool = False) -> None:
    """The kernel density as an image overlay; bounds [[south, west], [north, east]]."""
    url = "data:image/png;base64," + base64.b64encode(image_png).decode()
    group = folium.FeatureGroup(name=esc(name), show=show)
    folium.raster_layers.ImageOverlay(url, bounds=bounds, opacity=0.75, interactive=False).add_to(group)
    group.add_to(m)


def _point_rows(incidents: list[dict]) -> list[list]:
    """Compact rows for the browser: [lat, lon, id, date, category, address, tags, description, url].

    The browser builds each popup with DOM text nodes, so user text is never parsed as HTML there.
    """
    return [[round(r["lat"], 7), round(r["lon"], 7), r["id"], r.get("date") or "", r.get("category_label") or "",
             r.get("address") or "", r.get("tags") or "", r.get("description") or "", r.get("url") or ""]
            for r in incidents]


def add_incidents(m: folium.Map, incidents: list[dict], name: str, labels: dict, cluster_assets: Assets,
                  show: bool = False) -> None:
    """Individual incidents as clustered circle markers (Leaflet.markercluster, served locally)."""
    group = folium.FeatureGroup(name=esc(name), show=show)
    group.add_to(m)
    mc = MarkerCluster()  # only to load the vendored plugin files; the points are added by policePoints
    mc.default_js = [("markerclusterjs", cluster_assets.markercluster_js)]
    mc.default_css = [(f"markerclustercss{i}", u) for i, u in enumerate(cluster_assets.markercluster_css)]
    mc.add_to(group)
    m.add_child(_Call("policePoints", _point_rows(incidents),
                      {"cluster": True, "color": "#222", "fill": "#ffcc00", "labels": labels},
                      group=group.get_name(), with_map=True))


def add_aggregated_incidents(m: folium.Map, cells: list[tuple[float, float, int]], name: str, cell_m: float,
                             show: bool = False) -> None:
    """Many incidents drawn as one circle per grid cell, its area proportional to the count."""
    group = folium.FeatureGroup(name=esc(name), show=show)
    group.add_to(m)
    m.add_child(_Call("policeCells", [[round(lat, 6), round(lon, 6), int(c)] for lon, lat, c in cells],
                      {"cell": cell_m}, group=group.get_name()))


def add_tags(m: folium.Map, tags: list[dict], labels: dict, show: bool = True) -> None:
    """One layer per tag: its incidents as coloured circle markers (names escaped, popups built as text)."""
    for k, t in enumerate(tags):
        colour = TAG_COLOURS[k % len(TAG_COLOURS)]
        group = folium.FeatureGroup(name=f'<span style="color:{colour}">●</span> {esc(labels["tag"])} '
                                         f'{esc(t["name"])} ({len(t["incidents"])})', show=show)
        group.add_to(m)
        rows = _point_rows([{**r, "tags": t["name"]} for r in t["incidents"]])
        m.add_child(_Call("policePoints", rows, {"cluster": False, "color": colour, "fill": colour,
                                                 "labels": {"tags": labels["tag"], "open": labels["open"]}},
                          group=group.get_name(), with_map=True))


def add_monthly(m: folium.Map, months: list, name: str, options: dict, show: bool = False) -> None:
    """Monthly development: a layer redrawn by a slider (months: [(YYYY-MM, [(lon, lat, count), ...])])."""
    group = folium.FeatureGroup(name=esc(name), show=show)
    group.add_to(m)
    rows = [[label, [[lat, lon, c] for lon, lat, c in cells]] for label, cells in months]
    m.add_child(_Call("policeMonthly", rows, {"color": MONTHLY_COLOUR, "fill": MONTHLY_FILL, **options},
                      group=group.get_name(), with_map=True))


def add_legend(m: folium.Map, title: str, entries: list[tuple[str, str]], notes: list[str] = ()) -> None:
    """A legend box: coloured swatches with (escaped) labels and notes such as the KDE bandwidth."""
    rows = "".join(f'<div><i style="background:{esc(c)}"></i>{esc(t)}</div>' for c, t in entries)
    rows += "".join(f"<div class=\"note\">{esc(n)}</div>" for n in notes)
    m.add_child(_Call("policeLegend", f"<strong>{esc(title)}</strong>{rows}", with_map=True))


def finish(m: folium.Map) -> str:
    """Add the layer control and render the complete HTML document."""
    folium.LayerControl(collapsed=False).add_to(m)
    return m.get_root().render()


# ---------------------------------------------------------------- static PNG for printing
def render_png(boundary_m, gi_cells: list[tuple[object, int]], clusters_m: list, density=None,
               width: int = 1400, title: str = "", legend: list[tuple[str, str]] = ()) -> bytes:
    """A printable map: study area, Gi* cells by class, cluster hulls (numbered) and the density, in metres."""
    minx, miny, maxx, maxy = boundary_m.bounds
    pad = 0.03 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    scale = width / (maxx - minx)
    height = int((maxy - miny) * scale) + 1
    img = Image.new("RGBA", (width, height), (255, 255, 255, 255))

    def px(coords):
        return [((x - minx) * scale, (maxy - y) * scale) for x, y in coords]

    if density is not None and density.values.size and density.values.max() > 0:
        xs = minx + (np.arange(width) + 0.5) / scale
        ys = maxy - (np.arange(height) + 0.5) / scale
        gx, gy = np.meshgrid(xs, ys)
        v = density.sample(gx.ravel(), gy.ravel()).reshape(height, width)
        img = Image.alpha_composite(img, Image.fromarray(density_rgba(v), "RGBA"))
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    for poly, klass in gi_cells:
        colour = GI_COLOURS.get(klass)
        if colour:
            r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
            draw.polygon(px(poly.exterior.coords), fill=(r, g, b, 150), outline=(r, g, b, 255))
    img = Image.alpha_composite(img, layer)
    draw = ImageDraw.Draw(img)
    for poly in getattr(boundary_m, "geoms", [boundary_m]):
        draw.line(px(poly.exterior.coords), fill=(40, 40, 40, 255), width=3)
    font = _font(18)
    for n, hull in enumerate(clusters_m, start=1):
        draw.line(px(hull.exterior.coords), fill=(106, 61, 154, 255), width=3)
        c = hull.representative_point()
        draw.text(px([(c.x, c.y)])[0], str(n), fill=(106, 61, 154, 255), font=font, anchor="mm")
    if title:
        draw.text((16, 12), title, fill=(0, 0, 0, 255), font=_font(22))
    y = height - 24 * len(legend) - 12
    for colour, text in legend:
        draw.rectangle([16, y, 36, y + 18], fill=colour, outline="#333")
        draw.text((44, y), text, fill=(0, 0, 0, 255), font=font)
        y += 24
    # Scale bar of a round length near a fifth of the width.
    length = 10 ** math.floor(math.log10((maxx - minx) / 5))
    for f in (5, 2, 1):
        if f * length <= (maxx - minx) / 4:
            length *= f
            break
    x1, y1 = width - 40 - length * scale, height - 30
    draw.line([(x1, y1), (width - 40, y1)], fill="black", width=4)
    draw.text(((x1 + width - 40) / 2, y1 - 6), f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m",
              fill="black", font=font, anchor="mb")
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType sizes
        return ImageFont.load_default()
