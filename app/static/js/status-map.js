/* The status page's small map: the report's approximate place as a circle (no pin, no exact position). */
(function () {
  "use strict";
  var box = document.getElementById("status-map");
  if (!box || !window.L) { return; }
  var at = [parseFloat(box.getAttribute("data-lat")), parseFloat(box.getAttribute("data-lon"))];
  var map = L.map(box, { scrollWheelZoom: false }).setView(at, 17);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
              { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  L.circle(at, { radius: parseFloat(box.getAttribute("data-radius")), color: "#b3001b", weight: 2,
                 fillOpacity: 0.2, interactive: false }).addTo(map);
  box.setAttribute("data-ready", "1");
})();
