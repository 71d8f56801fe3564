/* The citizen report page: place the pin (geolocation, drag, tap, address, photo GPS), add photos,
   check for nearby open reports, and send everything to POST /api/v1/reports with an Idempotency-Key
   through the phone's outbox (report-queue.js, outbox.js): without a network the report waits on the
   phone and is sent later with the same key, so it is stored once however often it is tried. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || !window.L) { return; }
  var T = JSON.parse(document.getElementById("report-i18n").textContent);
  var center = JSON.parse(form.getAttribute("data-center"));
  var maxPhotos = parseInt(form.getAttribute("data-max-photos"), 10);
  var api = form.getAttribute("data-api");
  var statusEl = document.getElementById("location-status");
  var cityShape = null;
  var where = null;          // {lat, lon, source}
  var photos = [];           // {blob, name, url, gps}
  var idemKey = null;
  var geoFailed = false;

  function fmt(s, vals) {
    return s.replace(/\{(\w+)\}/g, function (m, k) { return vals[k] === undefined ? m : vals[k]; });
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function newKey() {
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  // -- map and pin ---------------------------------------------------------------------------------------
  var map = L.map("report-map", { zoomControl: true }).setView(center, parseInt(form.getAttribute("data-zoom"), 10));
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
              { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  // No pin until a position is known (the browser's, a tap, an address or a photo's GPS): a pin at the city
  // centre would look placed when it is not. Until then a hint on the map says what to do.
  var marker = null;
  var mapHint = document.getElementById("map-hint");
  function placeMarker(ll) {
    if (marker) { marker.setLatLng(ll); return; }
    marker = L.marker(ll, { draggable: true, autoPan: true, title: T.pinTitle, alt: T.pinTitle }).addTo(map);
    marker.on("dragend", function () { setLocation(marker.getLatLng(), "pin"); });
    mapHint.hidden = true;
  }

  fetch("/api/v1/city").then(function (r) { return r.json(); }).then(function (city) {
    cityShape = city.boundary;
    L.geoJSON(city.boundary, { style: { color: "#b3001b", weight: 2, fill: false }, interactive: false }).addTo(map);
    if (where && !inCity(where.lat, where.lon)) { warnStatus(T.outside); }  // placed before the boundary came
  }).catch(function () { /* the server checks the boundary anyway */ });

  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }
  function inCity(lat, lon) {
    if (!cityShape) { return true; }
    var polys = cityShape.type === "Polygon" ? [cityShape.coordinates] : cityShape.coordinates;
    return polys.some(function (rings) {
      return inRing(lon, lat, rings[0]) && !rings.slice(1).some(function (h) { return inRing(lon, lat, h); });
    });
  }

  function setLocation(latlng, source, accuracy) {
    where = { lat: latlng.lat, lon: latlng.lng, source: source };
    form.classList.add("has-location");
    var text = source === "gps" ? fmt(T.located, { m: Math.round(accuracy || 0) })
      : source === "photo" ? T.fromPhoto : source === "map" ? T.fromMap : T.pinSet;
    statusEl.textContent = text;
    statusEl.classList.remove("warn");
    if (!inCity(where.lat, where.lon)) {
      statusEl.textContent = T.outside;
      statusEl.classList.add("warn");
    }
    idemKey = null;
    loadNearby();
  }
  map.on("click", function (e) { placeMarker(e.latlng); setLocation(e.latlng, "pin"); });

  function moveTo(lat, lon, zoom) {
    var ll = L.latLng(lat, lon);
    placeMarker(ll);
    map.setView(ll, zoom || 18);
    return ll;
  }

  function warnStatus(text) {
    statusEl.textContent = text;
    statusEl.classList.add("warn");
  }
  function locate(auto) {
    if (!navigator.geolocation) {
      geoFailed = true;
      warnStatus(T.noGeolocation);
      return;
    }
    statusEl.textContent = T.locating;
    statusEl.classList.remove("warn");
    navigator.geolocation.getCurrentPosition(function (pos) {
      if (auto && where) { return; }  // the citizen placed the pin meanwhile: keep it
      setLocation(moveTo(pos.coords.latitude, pos.coords.longitude), "gps", pos.coords.accuracy);
    }, function () {
      geoFailed = true;
      if (!usePhotoLocation()) { warnStatus(T.locateFailed); }
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  document.getElementById("locate").addEventListener("click", function () { locate(false); });
  // "Report here" on the public map opens this page with ?lat=&lon=: that spot, not the phone's position.
  function positionFromLink() {
    var q = new URLSearchParams(window.location.search);
    var lat = parseFloat(q.get("lat")), lon = parseFloat(q.get("lon"));
    return isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? [lat, lon] : null;
  }
  var linked = positionFromLink();
  if (linked) { setLocation(moveTo(linked[0], linked[1]), "map"); } else { locate(true); }

  // -- address search: places, streets and buildings with their district, as an ARIA combobox -------------
  // (WAI-ARIA 1.2 "list autocomplete": focus stays in the field, the arrow keys move the active option,
  // Enter takes it, Escape closes the list, a tap or click takes an option too).
  var addressInput = document.getElementById("address");
  var results = document.getElementById("address-results");
  var noneEl = document.getElementById("address-none");
  var countEl = document.getElementById("address-count");
  var addressTimer = null, addressSeq = 0, found = [], active = -1;
  function setActive(i) {
    active = i;
    Array.prototype.forEach.call(results.children, function (li, k) {
      li.setAttribute("aria-selected", k === i ? "true" : "false");
    });
    if (i >= 0) {
      addressInput.setAttribute("aria-activedescendant", results.children[i].id);
      results.children[i].scrollIntoView({ block: "nearest" });
    } else { addressInput.removeAttribute("aria-activedescendant"); }
  }
  function openList(open) {
    results.hidden = !open;
    addressInput.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) { setActive(-1); }
  }
  function placeLabel(a) { return a.district ? a.label + ", " + a.district : a.label; }
  function choose(a) {
    setLocation(moveTo(a.lat, a.lon), "address");
    addressInput.value = placeLabel(a);
    openList(false);
  }
  function showPlaces(list) {
    found = list;
    results.textContent = "";
    noneEl.textContent = list.length ? "" : T.noAddress;
    countEl.textContent = list.length ? fmt(T.suggestions, { n: list.length }) : "";  // for screen readers
    list.forEach(function (a, k) {
      var li = el("li", { id: "address-option-" + k, role: "option", "aria-selected": "false" });
      li.appendChild(el("span", { "class": "place" }, a.label));
      if (a.district) { li.appendChild(el("span", { "class": "district" }, a.district)); }
      li.addEventListener("click", function () { choose(a); });
      results.appendChild(li);
    });
    openList(list.length > 0);
  }
  // A tap on an option must not take the focus (and with it the list) away before the click arrives.
  results.addEventListener("mousedown", function (e) { e.preventDefault(); });
  addressInput.addEventListener("input", function () {
    clearTimeout(addressTimer);
    var q = addressInput.value.trim();
    if (q.length < 3) { showPlaces([]); noneEl.textContent = ""; addressSeq++; return; }
    addressTimer = setTimeout(function () {
      var seq = ++addressSeq;
      fetch("/api/v1/addresses?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); })
        .then(function (data) { if (seq === addressSeq) { showPlaces(data.results); } })
        .catch(function () { openList(false); });
    }, 250);
  });
  addressInput.addEventListener("keydown", function (e) {
    var n = found.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!n) { return; }
      e.preventDefault();
      if (results.hidden) { openList(true); }
      setActive(e.key === "ArrowDown" ? (active + 1) % n : (active <= 0 ? n - 1 : active - 1));
    } else if (e.key === "Enter") {
      e.preventDefault();  // never sends the report from the search field
      if (!results.hidden && n) { choose(found[active >= 0 ? active : 0]); }
    } else if (e.key === "Escape") {
      if (!results.hidden) { e.preventDefault(); openList(false); }
      else if (addressInput.value) { e.preventDefault(); addressInput.value = ""; showPlaces([]); }
    }
  });
  addressInput.addEventListener("blur", function () { openList(false); });

  // -- nearby open reports: "is it one of these?", numbered in the list and on the map ----------------------
  var nearbyBox = document.getElementById("nearby");
  var nearbyList = document.getElementById("nearby-list");
  var nearbyPins = L.layerGroup().addTo(map);
  function nearbyText(r) {
    var dist = r.direction ? fmt(T.metresAway, { m: r.distance_m, direction: T.compass[r.direction] || r.direction })
      : T.sameSpot;
    return " · " + (T.statuses[r.status] || r.status) + " · " + dist + " · " + T.reportedOn + " " +
      new Date(r.created_at).toLocaleDateString(document.documentElement.lang || undefined,
                                                { timeZone: form.getAttribute("data-timezone") || undefined });
  }
  function loadNearby() {
    if (!where) { return; }
    fetch("/api/v1/reports/nearby?lat=" + where.lat.toFixed(7) + "&lon=" + where.lon.toFixed(7))
      .then(function (r) { return r.ok ? r.json() : { reports: [] }; })
      .then(function (data) {
        nearbyList.textContent = "";
        nearbyPins.clearLayers();
        data.reports.forEach(function (r, k) {
          var num = String(k + 1);
          var li = el("li", { "class": "nearby-item", id: "nearby-" + num, tabindex: "-1" });
          li.appendChild(el("span", { "class": "nearby-num", "aria-hidden": "true" }, num));
          if (r.thumb_url) { li.appendChild(el("img", { src: r.thumb_url, alt: "", loading: "lazy" })); }
          var info = el("div");
          info.appendChild(el("strong", {}, T.categories[r.category] || r.category));
          info.appendChild(el("span", {}, nearbyText(r)));
          li.appendChild(info);
          var btn = el("button", { type: "button", "class": "big" }, T.seeToo);
          btn.addEventListener("click", function () { confirmReport(r.handle, li, btn); });
          li.appendChild(btn);
          nearbyList.appendChild(li);
          var label = fmt(T.nearbyPin, { n: num }) + ": " + (T.categories[r.category] || r.category);
          var icon = L.divIcon({ className: "nearby-pin", html: "<span>" + num + "</span>", iconSize: [30, 30] });
          L.marker([r.lat, r.lon], { icon: icon, title: label, alt: label, keyboard: true, zIndexOffset: -100 })
            .on("click", function () { li.scrollIntoView({ block: "center" }); li.focus(); })
            .addTo(nearbyPins);
        });
        nearbyBox.hidden = data.reports.length === 0;
      }).catch(function () { nearbyBox.hidden = true; nearbyPins.clearLayers(); });
  }
  function confirmReport(handle, li, btn) {
    btn.disabled = true;
    var key = newKey();
    fetch("/api/v1/reports/" + encodeURIComponent(handle) + "/confirm",
          { method: "POST", headers: { "Idempotency-Key": key, "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        if (!res.ok) { btn.disabled = false; showErrors(res.body.errors || []); return; }
        btn.remove();
        li.appendChild(el("p", { "class": "ok" }, T.confirmed));
      }).catch(function () { btn.disabled = false; showErrors([{ field: null, message: T.networkError }]); });
  }

  // -- photos ----------------------------------------------------------------------------------------------
  var previews = document.getElementById("previews");
  function jpegGps(buf) {
    try {
      var v = new DataView(buf);
      if (v.getUint16(0) !== 0xFFD8) { return null; }
      var off = 2;
      while (off + 10 < v.byteLength) {
        var marker = v.getUint16(off), len = v.getUint16(off + 2);
        if (marker === 0xFFE1 && v.getUint32(off + 4) === 0x45786966) { return tiffGps(v, off + 10); }
        if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) { return null; }
        off += 2 + len;
      }
    } catch (e) { return null; }
    return null;
  }
  function tiffGps(v, t) {
    var le = v.getUint16(t) === 0x4949;
    function u16(o) { return v.getUint16(t + o, le); }
    function u32(o) { return v.getUint32(t + o, le); }
    var ifd = u32(4), n = u16(ifd), gps = null, i, e;
    for (i = 0; i < n; i++) { e = ifd + 2 + i * 12; if (u16(e) === 0x8825) { gps = u32(e + 8); } }
    if (gps === null) { return null; }
    var tags = {};
    n = u16(gps);
    for (i = 0; i < n; i++) {
      e = gps + 2 + i * 12;
      var tag = u16(e);
      if (tag === 1 || tag === 3) { tags[tag] = String.fromCharCode(v.getUint8(t + e + 8)); }
      if ((tag === 2 || tag === 4) && u16(e + 2) === 5 && u32(e + 4) === 3) {
        var p = u32(e + 8);
        tags[tag] = [0, 1, 2].map(function (k) { return u32(p + k * 8) / u32(p + k * 8 + 4); });
      }
    }
    if (!tags[2] || !tags[4]) { return null; }
    var lat = tags[2][0] + tags[2][1] / 60 + tags[2][2] / 3600;
    var lon = tags[4][0] + tags[4][1] / 60 + tags[4][2] / 3600;
    if (tags[1] === "S") { lat = -lat; }
    if (tags[3] === "W") { lon = -lon; }
    return isFinite(lat) && isFinite(lon) && (lat || lon) ? { lat: lat, lon: lon } : null;
  }
  // Large JPEGs are scaled to 2048 px before upload (the server stores no more), so a report goes
  // through on a slow mobile connection; anything that cannot be scaled is sent as it is.
  function shrink(file) {
    if (file.type !== "image/jpeg" || file.size < 1500000 || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bmp) {
      var scale = Math.min(1, 2048 / Math.max(bmp.width, bmp.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bmp.width * scale);
      canvas.height = Math.round(bmp.height * scale);
      canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob && blob.size < file.size ? blob : file); }, "image/jpeg", 0.88);
      });
    }).catch(function () { return file; });
  }
  function usePhotoLocation() {
    if (where) { return false; }
    var withGps = photos.filter(function (p) { return p.gps; })[0];
    if (!withGps) { return false; }
    setLocation(moveTo(withGps.gps.lat, withGps.gps.lon), "photo");
    return true;
  }
  function renderPreviews() {
    previews.textContent = "";
    photos.forEach(function (p, i) {
      var li = el("li");
      var img = el("img", { src: p.url, alt: T.photo + " " + (i + 1) });
      img.addEventListener("error", function () { img.replaceWith(el("span", { "class": "noimg" }, p.name)); });
      li.appendChild(img);
      var rm = el("button", { type: "button", "class": "remove", "aria-label": T.remove + " " + (i + 1) }, "×");
      rm.addEventListener("click", function () {
        URL.revokeObjectURL(p.url);
        photos.splice(i, 1);
        idemKey = null;
        renderPreviews();
      });
      li.appendChild(rm);
      previews.appendChild(li);
    });
  }
  function addFiles(input) {
    var files = Array.prototype.slice.call(input.files || []);
    input.value = "";
    var room = maxPhotos - photos.length;
    fieldError("photos", files.length > room ? T.tooManyPhotos : "");
    files.slice(0, Math.max(room, 0)).forEach(function (file) {
      var entry = { blob: file, name: file.name || "photo.jpg", url: URL.createObjectURL(file), gps: null };
      photos.push(entry);
      idemKey = null;
      file.slice(0, 131072).arrayBuffer().then(function (buf) {
        entry.gps = jpegGps(buf);
        if (geoFailed || !navigator.geolocation) { usePhotoLocation(); }
      }).catch(function () { /* no GPS */ });
      shrink(file).then(function (blob) { entry.blob = blob; });
    });
    renderPreviews();
  }
  document.getElementById("camera").addEventListener("change", function (e) { addFiles(e.target); });
  document.getElementById("photos").addEventListener("change", function (e) { addFiles(e.target); });

  // -- errors and sending -------------------------------------------------------------------------------
  var errorBox = document.getElementById("form-errors");
  function fieldError(field, message) {
    var p = form.querySelector('.field-error[data-field="' + field + '"]') ||
      Array.prototype.filter.call(form.querySelectorAll(".field-error[data-also]"), function (x) {
        return x.getAttribute("data-also").split(" ").indexOf(field) >= 0;
      })[0];
    if (!p) { return false; }
    p.textContent = message || "";
    p.hidden = !message;
    return true;
  }
  function clearErrors() {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (p) { p.hidden = true; });
    errorBox.hidden = true;
    errorBox.textContent = "";
  }
  function showErrors(errors) {
    clearErrors();
    // "Correct the marked fields" only when a field is marked (not for "too many reports" and the like).
    if (errors.some(function (e) { return e.field; })) { errorBox.appendChild(el("p", {}, T.fixErrors)); }
    var ul = el("ul");
    errors.forEach(function (e) {
      fieldError(e.field, e.message);
      ul.appendChild(el("li", {}, e.message));
    });
    errorBox.appendChild(ul);
    errorBox.hidden = false;
    errorBox.scrollIntoView({ block: "center" });
  }
  form.addEventListener("input", function (e) { if (e.target.type !== "file") { idemKey = null; } });
  form.addEventListener("change", function (e) { if (e.target.type !== "file") { idemKey = null; } });

  // Every report goes through the phone's outbox (report-queue.js): sent at once when possible, else kept
  // and sent by itself later with the same Idempotency-Key.
  function entryOf() {
    var fields = {};
    if (where) {
      fields.lat = where.lat.toFixed(7);
      fields.lon = where.lon.toFixed(7);
    }
    var cat = form.querySelector("input[name=category]:checked");
    if (cat) { fields.category = cat.value; }
    fields.offensive = form.elements.offensive.checked ? "true" : "false";
    fields.description = form.elements.description.value;
    fields.email = form.elements.email.value;
    idemKey = idemKey || newKey();
    return { key: idemKey, api: api, created: Date.now(), fields: fields, rejected: null,
             photos: photos.map(function (p) { return { blob: p.blob, name: p.name }; }) };
  }

  var submit = document.getElementById("submit");
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearErrors();
    var entry = entryOf();
    submit.disabled = true;
    submit.textContent = T.sending;
    window.ReportQueue.submit(entry).then(function (res) {
      if (res.outcome === "sent") { showDone(res.body); }
      else if (res.outcome === "rejected") {
        window.ReportOutbox.forget(entry.key).catch(function () { /* not kept */ });
        showErrors(res.body.errors || []);
      } else { showQueued(); }
    }).catch(function () {
      showErrors([{ field: null, message: T.networkError }]);
    }).then(function () {
      submit.disabled = false;
      submit.textContent = T.send;
    });
  });

  function showQueued() {
    idemKey = null;
    form.hidden = true;
    var box = document.getElementById("outbox");
    box.hidden = false;
    box.focus();
  }

  function showDone(body) {
    idemKey = null;
    form.hidden = true;
    var done = document.getElementById("done");
    var detail = document.getElementById("done-detail");
    detail.textContent = "";
    document.getElementById("outbox-again").hidden = true;
    if (body.building && body.building.address) {
      detail.appendChild(el("span", {}, T.building + ": " +
        [body.building.name, body.building.address].filter(Boolean).join(", ")));
    }
    if (body.duplicate_of) { detail.appendChild(el("p", {}, T.duplicate)); }
    document.getElementById("done-link").setAttribute("href", body.status_url);
    done.hidden = false;
    done.focus();
  }

  window.ReportQueue.start({
    texts: T, timeZone: form.getAttribute("data-timezone"), onDelivered: showDone,
    onRejected: function (errors) {
      document.getElementById("outbox").hidden = true;
      form.hidden = false;
      showErrors(errors);
    },
  });
})();
