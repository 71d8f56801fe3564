/* Job page map: the building's footprint, the citizen's pin and the open jobs nearby (data from data-map). */
(function () {
  "use strict";
  var el = document.getElementById("job-map");
  if (!el || !window.L) { return; }
  var data = JSON.parse(el.dataset.map || "{}"), labels = JSON.parse(el.dataset.labels || "{}");
  var COLOURS = {1: "#b00020", 2: "#e66100", 3: "#1f78b4", 4: "#6a3d9a"};
  var map = L.map(el, {scrollWheelZoom: false}).setView(data.report, 17);  // a view before any layer is added
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    {maxZoom: 19, attribution: "© OpenStreetMap"}).addTo(map);

  function text(tag, value) {
    var node = document.createElement(tag);
    node.textContent = value;
    return node;
  }

  var bounds = L.latLngBounds([data.report, data.report]);
  if (data.footprint) {
    var fp = L.geoJSON(data.footprint, {className: "job-footprint",
      style: {color: "#222", weight: 2, fillColor: "#e66100", fillOpacity: 0.3}}).addTo(map);
    bounds.extend(fp.getBounds());
  }
  (data.nearby || []).forEach(function (job) {
    L.circleMarker([job.lat, job.lon], {radius: 7, weight: 2, color: job.overdue ? "#000" : "#fff",
      fillColor: COLOURS[job.priority] || "#1f78b4", fillOpacity: 0.9, className: "nearby-job"})
      .bindPopup(function () {
        var box = document.createElement("div"), a = text("a", (labels.job || "Job") + " #" + job.id);
        a.href = el.dataset.jobUrl.replace(/0$/, String(job.id));
        box.appendChild(a);
        box.appendChild(text("div", job.address || ""));
        box.appendChild(text("div", (labels.statuses || {})[job.status] || job.status));
        box.appendChild(text("div", job.metres + " m" + (job.overdue ? " · " + (labels.overdue || "overdue") : "")));
        return box;
      }).addTo(map);
  });
  L.circleMarker(data.report, {radius: 10, weight: 3, color: "#fff", fillColor: COLOURS[data.priority] || "#b00020",
    fillOpacity: 1, className: "job-position"}).bindTooltip(labels.here || "").addTo(map);
  map.fitBounds(bounds.pad(0.5), {maxZoom: 18});
  if (map.getZoom() < 16) { map.setView(data.report, 17); }
  el.setAttribute("data-loaded", "1");
})();
