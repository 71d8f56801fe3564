/* Police maps: legend box and the monthly development slider (no external libraries besides Leaflet). */
(function () {
  "use strict";

  window.policeLegend = function (map, html) {
    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "police-legend");
      div.innerHTML = html;  // built and escaped on the server
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    legend.addTo(map);
  };

  // data: [[month label, [[lat, lon, count], ...]], ...]; group: an (empty) Leaflet layer group in the layer control.
  window.policeMonthly = function (map, group, data, options) {
    if (!data.length) { return; }
    var peak = 1;
    data.forEach(function (m) { m[1].forEach(function (c) { peak = Math.max(peak, c[2]); }); });
    var control = L.control({position: "bottomleft"});
    var label, slider;
    function draw(i) {
      group.clearLayers();
      data[i][1].forEach(function (c) {
        L.circle([c[0], c[1]], {
          radius: Math.max(options.cell / 2 * Math.sqrt(c[2] / peak), 10), color: options.color, weight: 1,
          fillColor: options.fill, fillOpacity: 0.55
        }).bindTooltip(String(c[2])).addTo(group);
      });
      label.textContent = options.title + ": " + data[i][0] + " (" +
        data[i][1].reduce(function (s, c) { return s + c[2]; }, 0) + ")";
    }
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "police-slider");
      label = L.DomUtil.create("div", "police-slider-label", div);
      slider = L.DomUtil.create("input", "", div);
      slider.type = "range"; slider.min = 0; slider.max = data.length - 1; slider.value = data.length - 1;
      slider.setAttribute("aria-label", options.title);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.on(slider, "input", function () { draw(parseInt(slider.value, 10)); });
      return div;
    };
    function show() { control.addTo(map); draw(parseInt(slider.value, 10)); }
    function hide() { control.remove(); }
    map.on("overlayadd", function (e) { if (e.layer === group) { show(); } });
    map.on("overlayremove", function (e) { if (e.layer === group) { hide(); } });
    if (map.hasLayer(group)) { show(); }
  };
}());

(function () {
  "use strict";
  var css = ".police-legend,.police-slider{background:#fff;padding:6px 8px;border-radius:4px;" +
    "box-shadow:0 1px 4px rgba(0,0,0,.35);font:13px/1.4 system-ui,sans-serif;max-width:240px}" +
    ".police-legend i{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:-2px;" +
    "border:1px solid #555}.police-legend .note{color:#444;font-size:12px;margin-top:4px}" +
    ".police-slider input{width:220px}";
  var style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);
}());

(function () {
  "use strict";
  // rows: [[lat, lon, id, date, category, address, tags, description, url], ...]. Popups are built from text
  // nodes, so no user text is ever parsed as HTML.
  function popup(r, labels) {
    var div = document.createElement("div");
    function line(text, tag) {
      if (!text) { return; }
      var el = document.createElement(tag || "div");
      el.textContent = text;
      div.appendChild(el);
    }
    line("#" + r[2] + "  " + r[3], "b");
    line(r[4]); line(r[5]);
    if (r[6]) { line(labels.tags + ": " + r[6]); }
    line(r[7], "i");
    if (r[8]) {
      var a = document.createElement("a");
      a.href = r[8]; a.target = "_top"; a.textContent = labels.open;
      div.appendChild(a);
    }
    return div;
  }
  window.policePoints = function (map, group, rows, options) {
    var target = group;
    if (options.cluster && L.markerClusterGroup) {
      target = L.markerClusterGroup({disableClusteringAtZoom: 18, chunkedLoading: true});
      group.addLayer(target);
    }
    rows.forEach(function (r) {
      L.circleMarker([r[0], r[1]], {radius: options.cluster ? 5 : 6, color: options.color, weight: options.cluster ? 1 : 2,
        fillColor: options.fill, fillOpacity: options.cluster ? 0.9 : 0.6})
        .bindPopup(function () { return popup(r, options.labels); }, {maxWidth: 300})
        .addTo(target);
    });
  };
}());

(function () {
  "use strict";
  // rows: [[lat, lon, count], ...]: aggregated incidents, circle area proportional to the count.
  window.policeCells = function (group, rows, options) {
    var peak = 1;
    rows.forEach(function (r) { peak = Math.max(peak, r[2]); });
    rows.forEach(function (r) {
      L.circle([r[0], r[1]], {radius: Math.max(options.cell / 2 * Math.sqrt(r[2] / peak), 8), color: "#444",
        weight: 1, fillColor: "#ffcc00", fillOpacity: 0.7}).bindTooltip(String(r[2])).addTo(group);
    });
  };
}());

(function () {
  "use strict";
  // Cluster hulls; each feature carries properties.lines = [[label, value], ...] shown as text.
  window.policeClusters = function (group, data, options) {
    L.geoJSON(data, {
      style: function () { return {color: options.color, weight: 3, fillOpacity: 0.12, dashArray: null}; },
      onEachFeature: function (feature, layer) {
        layer.bindPopup(function () {
          var div = document.createElement("div");
          feature.properties.lines.forEach(function (pair) {
            var row = document.createElement("div");
            var b = document.createElement("b");
            b.textContent = pair[0] + ": ";
            row.appendChild(b);
            row.appendChild(document.createTextNode(pair[1]));
            div.appendChild(row);
          });
          return div;
        });
        layer.bindTooltip(feature.properties.lines[0].join(" ") + " · " + feature.properties.lines[1].join(": "));
      }
    }).addTo(group);
  };
}());
