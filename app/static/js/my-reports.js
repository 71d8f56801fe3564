/* "My reports on this phone": the reports sent from this browser (their links are kept in IndexedDB by
   outbox.js, nothing about the phone is stored on the server), each with its current status from
   GET /api/v1/reports/<token>; without a network the last known status and when it was seen. Reports still
   waiting in the outbox are listed first and sent from here too when the network is back. */
(function () {
  "use strict";
  var root = document.getElementById("my-reports");
  if (!root) { return; }
  var T = JSON.parse(document.getElementById("my-reports-i18n").textContent);
  var tz = root.getAttribute("data-timezone");
  var list = document.getElementById("my-reports-list");
  var note = document.getElementById("my-reports-status");
  var store = window.ReportOutbox;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function when(value, withTime) {
    // The city's time zone, long dates as on the status page ("30. November 2026", "November 30, 2026")
    var o = withTime ? { timeZone: tz, dateStyle: "long", timeStyle: "short" } : { timeZone: tz, dateStyle: "long" };
    return new Date(value).toLocaleString(document.documentElement.lang || undefined, o);
  }

  function waitingItem(entry) {
    var li = el("li", { "class": "my-report waiting" });
    li.appendChild(el("strong", {}, T.categories[entry.fields.category] || entry.fields.category));
    li.appendChild(el("p", {}, T.notSent + " · " + T.reportedOn + " " + when(entry.created, true)));
    li.appendChild(el("p", { "class": "status" },
      entry.rejected ? entry.rejected.map(function (e) { return e.message; }).join(" ") : T.waitingNetwork));
    return li;
  }

  function sentItem(record) {
    var li = el("li", { "class": "my-report", "data-token": record.token });
    li.appendChild(el("strong", {}, T.categories[record.category] || record.category));
    li.appendChild(el("p", {}, T.reportedOn + " " + when(record.created, false)));
    var status = el("p", { "class": "status" }, T.statuses[record.status] || record.status || "–");
    var stale = el("p", { "class": "stale", hidden: "" }, T.asOf + " " + when(record.checked, true));
    li.appendChild(status);
    li.appendChild(stale);
    li.appendChild(el("a", { "class": "button", href: "/r/" + encodeURIComponent(record.token) }, T.viewStatus));
    var forget = el("button", { type: "button" }, T.forget);
    forget.addEventListener("click", function () { store.removeSent(record.token).then(load); });
    li.appendChild(forget);
    return { li: li, status: status, stale: stale };
  }

  // The current status of one report; resolves false when the network did not answer.
  function refresh(record, view) {
    return fetch("/api/v1/reports/" + encodeURIComponent(record.token), { headers: { "Accept": "application/json" } })
      .then(function (resp) {
        if (resp.status === 404) { view.status.textContent = T.gone; return true; }
        if (!resp.ok) { view.stale.hidden = false; return false; }
        return resp.json().then(function (body) {
          view.status.textContent = T.statuses[body.status] || body.status;
          record.status = body.status;
          record.checked = Date.now();
          return store.remember(record).then(function () { return true; });
        });
      }).catch(function () { view.stale.hidden = false; return false; });
  }

  function load() {
    return Promise.all([store.pending(), store.sentReports()]).then(function (both) {
      list.textContent = "";
      both[0].forEach(function (e) { list.appendChild(waitingItem(e)); });
      var views = both[1].map(function (r) { var v = sentItem(r); list.appendChild(v.li); return v; });
      note.textContent = both[0].length + both[1].length ? T.count : T.none;
      return Promise.all(both[1].map(function (r, i) { return refresh(r, views[i]); }));
    }).then(function (answered) {
      if (answered.indexOf(false) >= 0) { note.textContent = T.offline; }
    }, function () { note.textContent = T.noStorage; });
  }

  function sendWaiting() {
    return store.flush().then(load, load);
  }

  if (!store || !window.indexedDB) { note.textContent = T.noStorage; return; }
  window.addEventListener("online", sendWaiting);
  store.pending().then(function (entries) {
    return entries.some(function (e) { return !e.rejected; }) && navigator.onLine !== false ? sendWaiting() : load();
  }, load);
})();
