/* The public map of reports: GeoJSON from /api/v1/reports?bbox=..., clustered; category, status, date only. */
(function () {
  "use strict";
  var box = document.getElementById("public-map");
  if (!box || !window.L) { return; }
  var T = JSON.parse(document.getElementById("map-i18n").textContent);
  var map = L.map(box).setView(JSON.parse(box.getAttribute("data-center")), parseInt(box.getAttribute("data-zoom"), 10));
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
              { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  var cluster = L.markerClusterGroup({ maxClusterRadius: 50, showCoverageOnHover: false });
  map.addLayer(cluster);
  var showDone = document.getElementById("show-done");
  var countEl = document.getElementById("map-count");
  var pending = null;

  function popup(p) {
    var div = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = T.categories[p.category] || p.category;
    div.appendChild(strong);
    div.appendChild(document.createElement("br"));
    div.appendChild(document.createTextNode((T.statuses[p.status] || p.status) + " · " + T.reportedOn + " " +
      new Date(p.date).toLocaleDateString()));
    return div;
  }

  function load() {
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch("/api/v1/reports?bbox=" + bbox.join(","), { signal: pending.signal })
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        cluster.clearLayers();
        var shown = 0;
        var markers = [];
        fc.features.forEach(function (f) {
          if (!f.properties.open && !showDone.checked) { return; }
          var c = f.geometry.coordinates;
          var m = L.circleMarker([c[1], c[0]], {
            radius: 8, weight: 2, color: "#fff", fillOpacity: 0.9,
            fillColor: f.properties.open ? "#b3001b" : "#2e7d32",
          });
          m.bindPopup(popup(f.properties));
          markers.push(m);
          shown++;
        });
        cluster.addLayers(markers);
        countEl.textContent = T.count.replace("{n}", shown) + (fc.truncated ? " " + T.truncated : "");
        box.setAttribute("data-features", String(shown));
      }).catch(function (e) { if (e.name !== "AbortError") { countEl.textContent = ""; } });
  }
  map.on("moveend", load);
  showDone.addEventListener("change", load);
  load();
})();
