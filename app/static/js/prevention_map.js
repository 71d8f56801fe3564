/* The prevention measures' map: their areas (link to each measure); on the form, drawing the treatment area and
   a control area point by point and choosing buildings by clicking them (the server finds the building). */
(function () {
  "use strict";
  var box = document.getElementById("measure-map");
  if (!box || !window.L) { return; }
  var T = JSON.parse(document.getElementById("measure-map-i18n").textContent);
  var data = JSON.parse(document.getElementById("measure-map-data").textContent);
  var link = JSON.parse(document.getElementById("measure-map-links").textContent);
  var map = L.map(box).setView(JSON.parse(box.getAttribute("data-center")), parseInt(box.getAttribute("data-zoom"), 10));
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);

  function popup(p) {
    var div = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = p.title;
    div.appendChild(strong);
    div.appendChild(document.createElement("br"));
    div.appendChild(document.createTextNode(T.kinds[p.kind] || p.kind));
    div.appendChild(document.createElement("br"));
    var a = document.createElement("a");
    a.href = link.replace(/0$/, String(p.id));
    a.textContent = T.open;
    div.appendChild(a);
    return div;
  }
  var existing = L.geoJSON(data, { style: { color: "#2e7d32", weight: 2, fillOpacity: 0.25 },
    onEachFeature: function (f, layer) { layer.bindPopup(popup(f.properties)); } }).addTo(map);
  var zonesEl = document.getElementById("measure-map-zones");
  if (zonesEl) {  // a measure's page: its surrounding ring (displacement) and its drawn control area
    var zones = JSON.parse(zonesEl.textContent);
    if (zones.ring) {
      L.geoJSON(zones.ring, { style: { color: "#e66100", weight: 1.5, dashArray: "6 4", fillOpacity: 0.08 } })
        .bindTooltip(T.ring).addTo(map);
    }
    if (zones.control) {
      L.geoJSON(zones.control, { style: { color: "#1f4e79", weight: 1.5, dashArray: "2 4", fillOpacity: 0.05 } })
        .bindTooltip(T.control).addTo(map);
    }
  }
  if (box.getAttribute("data-focus") && data.features.length) { map.fitBounds(existing.getBounds(), { maxZoom: 17 }); }
  if (!box.getAttribute("data-draw")) { return; }

  var fields = { area: document.getElementById("area"), control: document.getElementById("control_area") };
  var idsField = document.getElementById("building_ids");
  var status = document.getElementById("map-status");
  var mode = "area";
  var points = { area: [], control: [] };
  var shapes = { area: null, control: null };
  var colours = { area: "#b3001b", control: "#1f4e79" };
  var chosen = {};  // building id -> layer
  var buildingLayer = L.layerGroup().addTo(map);

  function ringOf(geometry) {  // the outer ring of a stored Polygon/MultiPolygon, as lat/lng points
    var ring = geometry.type === "MultiPolygon" ? geometry.coordinates[0][0] : geometry.coordinates[0];
    return ring.slice(0, -1).map(function (c) { return [c[1], c[0]]; });
  }
  ["area", "control"].forEach(function (k) {
    if (fields[k].value) {
      try { points[k] = ringOf(JSON.parse(fields[k].value)); } catch (e) { points[k] = []; }
    }
  });

  function write(k) {
    if (shapes[k]) { map.removeLayer(shapes[k]); shapes[k] = null; }
    var pts = points[k];
    if (pts.length) {
      shapes[k] = (pts.length > 2 ? L.polygon(pts, { color: colours[k], weight: 2, fillOpacity: 0.15 })
                                  : L.polyline(pts, { color: colours[k], dashArray: "4" })).addTo(map);
    }
    if (pts.length > 2) {
      var ring = pts.map(function (p) { return [Number(p[1].toFixed(7)), Number(p[0].toFixed(7))]; });
      ring.push(ring[0]);
      fields[k].value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    } else {
      fields[k].value = "";
    }
    say();
  }
  function say() {
    status.textContent = T.points + ": " + points.area.length + " · " + T.buildings + ": " + Object.keys(chosen).length;
  }
  function writeIds() { idsField.value = Object.keys(chosen).join(","); say(); }

  function toggleBuilding(latlng) {
    var url = box.getAttribute("data-building-url") + "?lat=" + latlng.lat.toFixed(7) + "&lon=" + latlng.lng.toFixed(7);
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (body) {
      var b = body.building;
      if (!b) { status.textContent = T.no_building; return; }
      if (chosen[b.id]) {
        buildingLayer.removeLayer(chosen[b.id]);
        delete chosen[b.id];
      } else {
        chosen[b.id] = L.geoJSON(b.geometry, { style: { color: "#e66100", weight: 2, fillOpacity: 0.4 } })
          .bindTooltip(T.building + ": " + b.label).addTo(buildingLayer);
      }
      writeIds();
    });
  }
  idsField.value.split(",").forEach(function (id) { if (id) { chosen[id] = L.layerGroup(); } });

  map.on("click", function (ev) {
    if (mode === "buildings") { toggleBuilding(ev.latlng); return; }
    points[mode].push([ev.latlng.lat, ev.latlng.lng]);
    write(mode);
  });
  document.querySelectorAll(".map-tools button").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var action = btn.getAttribute("data-action");
      if (action === "undo" && mode !== "buildings") { points[mode].pop(); write(mode); return; }
      if (action === "clear") {
        if (mode === "buildings") { buildingLayer.clearLayers(); chosen = {}; writeIds(); } else { points[mode] = []; write(mode); }
        return;
      }
      if (!action) {
        mode = btn.getAttribute("data-mode");
        document.querySelectorAll(".map-tools button[data-mode]").forEach(function (b) {
          b.setAttribute("aria-pressed", String(b === btn));
        });
      }
    });
  });
  write("area");
  write("control");
  if (points.area.length) { map.fitBounds(L.polygon(points.area).getBounds(), { maxZoom: 18 }); }
})();
