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
    keepControlsApart(map);
  };

  // The layer switches (top right) open downwards; on a short or narrow map they would run under the legend and
  // the monthly slider at the bottom. While they are open, their list ends above the highest bottom control and
  // scrolls; when there is no room for even a few lines, the legend steps aside until they close.
  function keepControlsApart(map) {
    var box = map.getContainer();
    function fit() {
      var ctl = box.querySelector(".leaflet-control-layers");
      var legend = box.querySelector(".police-legend");
      if (!ctl || !legend) { return; }
      var list = ctl.querySelector(".leaflet-control-layers-list");
      legend.style.visibility = "";
      if (!ctl.classList.contains("leaflet-control-layers-expanded") || !list) { return; }
      var floor = Infinity;
      box.querySelectorAll(".leaflet-bottom .leaflet-control").forEach(function (c) {
        if (c.offsetParent !== null && !c.classList.contains("leaflet-control-attribution") &&
            c.getBoundingClientRect().right > ctl.getBoundingClientRect().left) {
          floor = Math.min(floor, c.getBoundingClientRect().top);
        }
      });
      if (floor === Infinity) { return; }
      list.style.height = "";
      var room = floor - 8 - ctl.getBoundingClientRect().top - (ctl.offsetHeight - list.offsetHeight);
      if (room >= 90) {
        if (list.scrollHeight > room) {
          list.style.height = room + "px";
          L.DomUtil.addClass(list, "leaflet-control-layers-scrollbar");
        }
      } else {
        legend.style.visibility = "hidden";
      }
    }
    map.whenReady(function () {
      setTimeout(function () {
        var ctl = box.querySelector(".leaflet-control-layers");
        if (ctl && window.MutationObserver) {
          new MutationObserver(fit).observe(ctl, {attributes: true, attributeFilter: ["class"]});
        }
        map.on("overlayadd overlayremove resize", function () { setTimeout(fit, 0); });
        fit();
      }, 0);
    });
  }

  var NARROW = 600;  // px: below this (phones) the layer switches open on a tap instead of staying open

  // The layer control is made open (collapsed: false) for desk work; on a phone it would cover the map, so there it
  // is made collapsed (opened by a tap). This script loads before the map's own script creates the control.
  var makeLayers = L.control.layers;
  L.control.layers = function (base, overlays, options) {
    if (window.innerWidth < NARROW) { options = L.extend({}, options, {collapsed: true}); }
    return makeLayers(base, overlays, options);
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
    ".police-slider input{width:220px}" +
    // On a narrow map the legend (right) and the slider (left) share the bottom edge half and half.
    "@media (max-width:600px){.police-legend,.police-slider{max-width:calc(50vw - 36px);box-sizing:border-box}" +
    ".police-slider input{width:100%}.police-legend{font-size:12px}}";
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
