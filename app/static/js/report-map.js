/* The public map of reports: GeoJSON from /api/v1/reports?bbox=..., clustered; category, status, date only.
   Points and groups wear the legend's status colours (a group: the share of open reports in red, of finished
   ones in green); the category boxes and "show finished" filter what is drawn; a tap on the map offers
   "report here", which opens the report form with that position. */
(function () {
  "use strict";
  var box = document.getElementById("public-map");
  if (!box || !window.L) { return; }
  var T = JSON.parse(document.getElementById("map-i18n").textContent);
  var OPEN = "#b3001b", DONE = "#2e7d32";   // the legend's colours (map.html)
  var map = L.map(box).setView(JSON.parse(box.getAttribute("data-center")), parseInt(box.getAttribute("data-zoom"), 10));
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
              { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);

  function groupIcon(group) {
    var children = group.getAllChildMarkers();
    var open = children.filter(function (m) { return m.options.isOpen; }).length;
    var n = children.length;
    var deg = Math.round(360 * open / n);
    var div = document.createElement("div");
    div.className = "map-group";
    div.style.background = "conic-gradient(" + OPEN + " 0 " + deg + "deg, " + DONE + " " + deg + "deg 360deg)";
    var span = document.createElement("span");
    span.textContent = String(n);
    div.appendChild(span);
    div.setAttribute("data-open", String(open));
    div.title = T.groupTitle.replace("{n}", n).replace("{open}", open).replace("{done}", n - open);
    var size = n < 10 ? 36 : n < 100 ? 42 : 50;
    return L.divIcon({ html: div, className: "map-group-icon", iconSize: L.point(size, size) });
  }
  var cluster = L.markerClusterGroup({ maxClusterRadius: 50, showCoverageOnHover: false, iconCreateFunction: groupIcon });
  map.addLayer(cluster);
  var showDone = document.getElementById("show-done");
  var categoryBoxes = Array.prototype.slice.call(document.querySelectorAll("input[name=map-category]"));
  var countEl = document.getElementById("map-count");
  var pending = null;
  var features = [];
  var truncated = false;

  function popup(p) {
    var div = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = T.categories[p.category] || p.category;
    div.appendChild(strong);
    div.appendChild(document.createElement("br"));
    div.appendChild(document.createTextNode((T.statuses[p.status] || p.status) + " · " + T.reportedOn + " " +
      // the city's calendar day ("2026-11-24"), shown as that day wherever the phone is
      new Date(p.date + "T00:00:00Z").toLocaleDateString(document.documentElement.lang || undefined,
                                                          { timeZone: "UTC" })));
    return div;
  }

  function draw() {
    var wanted = {};
    categoryBoxes.forEach(function (c) { wanted[c.value] = c.checked; });
    var markers = [];
    features.forEach(function (f) {
      var p = f.properties;
      if ((!p.open && !showDone.checked) || wanted[p.category] === false) { return; }
      var c = f.geometry.coordinates;
      var m = L.circleMarker([c[1], c[0]], {
        radius: 8, weight: 2, color: "#fff", fillOpacity: 0.9, fillColor: p.open ? OPEN : DONE, isOpen: p.open,
      });
      m.bindPopup(popup(p));
      markers.push(m);
    });
    cluster.clearLayers();
    cluster.addLayers(markers);
    countEl.textContent = T.count.replace("{n}", markers.length) + (truncated ? " " + T.truncated : "");
    box.setAttribute("data-features", String(markers.length));
  }

  function load() {
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch("/api/v1/reports?bbox=" + bbox.join(","), { signal: pending.signal })
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        features = fc.features;
        truncated = fc.truncated;
        draw();
      }).catch(function (e) { if (e.name !== "AbortError") { countEl.textContent = ""; } });
  }
  map.on("moveend", load);
  showDone.addEventListener("change", draw);
  categoryBoxes.forEach(function (c) { c.addEventListener("change", draw); });

  // "Report here": a tap on the map (not on a report) offers the report form at that spot.
  var here = L.popup({ className: "report-here" });
  map.on("click", function (e) {
    var link = document.createElement("a");
    link.className = "button primary";
    link.href = box.getAttribute("data-report") + "?lat=" + e.latlng.lat.toFixed(6) + "&lon=" + e.latlng.lng.toFixed(6);
    link.textContent = T.reportHere;
    here.setLatLng(e.latlng).setContent(link).openOn(map);
  });
  load();
})();
