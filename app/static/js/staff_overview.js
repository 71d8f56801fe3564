/* Staff overview map: asks the server for the visible area only (clusters zoomed out, jobs zoomed in). */
(function () {
  "use strict";
  var el = document.getElementById("overview-map");
  if (!el || !window.L) { return; }
  var labels = JSON.parse(el.dataset.labels || "{}");
  var status = document.getElementById("overview-status");
  var COLOURS = {1: "#b00020", 2: "#e66100", 3: "#1f78b4", 4: "#6a3d9a"};
  var map = L.map(el, {preferCanvas: true});
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    {maxZoom: 19, attribution: "© OpenStreetMap"}).addTo(map);
  var boundary = L.layerGroup().addTo(map);
  var buildings = L.geoJSON(null, {style: function (f) {
    return {color: "#444", weight: 1, fillOpacity: f.properties.owner_type === "municipal" ? 0.35 : 0.15,
            fillColor: f.properties.owner_type === "municipal" ? "#e66100" : "#888"};
  }}).addTo(map);
  var markers = L.layerGroup().addTo(map);
  var pending = null, seq = 0;

  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (cls) { node.className = cls; }
    return node;
  }

  function jobPopup(job) {
    var box = document.createElement("div");
    box.appendChild(text("strong", (labels.job || "Job") + " #" + job.id));
    box.appendChild(text("div", job.address || ""));
    var statuses = labels.statuses || {}, categories = labels.categories || {};
    box.appendChild(text("div", (labels.status || "Status") + ": " + (statuses[job.status] || job.status) + " · " +
      (categories[job.category] || job.category)));
    if (job.due_at) {
      box.appendChild(text("div", (job.overdue ? (labels.overdue || "overdue") : (labels.due || "due")) + ": " +
        new Date(job.due_at).toLocaleString(document.documentElement.lang || undefined,
          {timeZone: el.dataset.timezone || undefined, dateStyle: "short", timeStyle: "short"}),
        job.overdue ? "overdue" : ""));
    }
    var a = text("a", labels.open || "Open");
    a.href = el.dataset.jobUrl.replace(/0$/, String(job.id));
    box.appendChild(a);
    return box;
  }

  function clusterIcon(count, priority, overdue) {
    var size = count < 10 ? 30 : count < 100 ? 38 : count < 1000 ? 46 : 54;
    var colour = COLOURS[priority] || "#1f78b4";
    var ring = overdue > 0 ? "#000" : "#fff";
    return L.divIcon({className: "job-cluster", iconSize: [size, size], html:
      '<div style="width:' + size + 'px;height:' + size + 'px;line-height:' + (size - 6) + 'px;border-radius:50%;' +
      'background:' + colour + ';color:#fff;text-align:center;font-weight:700;border:3px solid ' + ring +
      ';opacity:.9">' + count + "</div>"});
  }

  function draw(data) {
    markers.clearLayers();
    buildings.clearLayers();
    if (data.mode === "clusters") {
      var total = 0;
      data.clusters.forEach(function (c) {
        var lat = c[0], lon = c[1], count = c[2], prio = c[3], overdue = c[4];
        total += count;
        if (count === 1) {
          L.circleMarker([lat, lon], {radius: 7, color: overdue ? "#000" : "#fff", weight: 2,
            fillColor: COLOURS[prio], fillOpacity: 0.95}).bindPopup(function () {
              var box = document.createElement("div");
              var a = text("a", (labels.job || "Job") + " #" + c[5]);
              a.href = el.dataset.jobUrl.replace(/0$/, String(c[5]));
              box.appendChild(a);
              return box;
            }).addTo(markers);
          return;
        }
        var m = L.marker([lat, lon], {icon: clusterIcon(count, prio, overdue), keyboard: false,
          title: count + " " + (labels.reports || "") + (overdue ? " · " + overdue + " " + (labels.overdue || "") : "")});
        m.on("click", function () { map.setView([lat, lon], Math.min(map.getZoom() + 2, 18)); });
        m.addTo(markers);
      });
      status.textContent = total + " " + (labels.reports || "") + " · " + (labels.zoom || "");
    } else {
      buildings.addData(data.buildings);
      data.jobs.forEach(function (job) {
        L.circleMarker([job.lat, job.lon], {radius: 8, color: job.overdue ? "#000" : "#fff", weight: job.overdue ? 3 : 2,
          fillColor: COLOURS[job.priority], fillOpacity: 0.95}).bindPopup(jobPopup(job)).addTo(markers);
      });
      status.textContent = data.jobs.length + " " + (labels.reports || "");
    }
    el.dataset.loaded = String(++seq);
    el.dataset.mode = data.mode;
  }

  function load() {
    var b = map.getBounds();
    var url = el.dataset.api + "?bbox=" + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map(function (v) { return v.toFixed(5); }).join(",") + "&zoom=" + map.getZoom();
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(url, {credentials: "same-origin", signal: pending.signal, headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(draw)
      .catch(function (err) { if (err && err.name === "AbortError") { return; } status.textContent = "⚠ " + err; });
  }

  fetch(el.dataset.city, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (city) {
    L.geoJSON(city.boundary, {style: {color: "#b3001b", weight: 2, fill: false, dashArray: "6 4"}}).addTo(boundary);
    map.attributionControl.addAttribution(city.attribution || "");
    map.setView([city.center.lat, city.center.lon], city.zoom);
  });
  map.on("moveend", load);
}());
