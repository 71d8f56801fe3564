/* The report page's side of the outbox (outbox.js): a report is kept on the phone before it is sent; when
   the network or the server fails it waits there, is shown as "waiting for network", and is sent by itself
   when the network is back (the `online` event, a timer, the next visit, Background Sync), then its
   status link is shown. window.ReportQueue.start() is called by report.js with its texts and callbacks. */
(function () {
  "use strict";
  var SYNC_TAG = "report-outbox";
  var RETRY_SECONDS = [3, 10, 30, 60, 120, 300];   // while online but failing (outage, weak signal)
  var T, opts, box, list, intro, again;
  var delivered = {};    // key -> server answer, for reports sent while this page is open
  var current = null;    // the key of the report sent from this page view
  var retries = 0, timer = null, lastReason = "offline";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function when(ms) {
    return new Date(ms).toLocaleString(document.documentElement.lang || undefined,
                                       { timeZone: opts.timeZone, dateStyle: "long", timeStyle: "short" });
  }
  function summary(category, photos, created) {
    var n = photos === 1 ? T.onePhoto : T.nPhotos.replace("{n}", photos);
    return [T.categories[category] || category, n, when(created)].join(" · ");
  }

  function item(entry) {
    var li = el("li", { "class": "outbox-item", "data-key": entry.key });
    li.appendChild(el("strong", {}, summary(entry.fields.category, entry.photos.length, entry.created)));
    if (entry.rejected) {
      li.appendChild(el("p", { "class": "field-error" }, T.refused + " " +
        entry.rejected.map(function (e) { return e.message; }).join(" ")));
      var discard = el("button", { type: "button" }, T.discard);
      discard.addEventListener("click", function () { window.ReportOutbox.forget(entry.key).then(render); });
      li.appendChild(discard);
    } else {
      li.appendChild(el("p", { "class": "waiting" }, lastReason === "offline" ? T.waitingNetwork : T.waitingServer));
    }
    return li;
  }
  function deliveredItem(key, body) {
    var li = el("li", { "class": "outbox-item sent", "data-key": key });
    li.appendChild(el("strong", {}, T.sentItem));
    li.appendChild(el("a", { href: body.status_url, "class": "button" }, T.viewStatus));
    return li;
  }

  function render() {
    return window.ReportOutbox.pending().then(function (entries) {
      list.textContent = "";
      entries.forEach(function (e) { list.appendChild(item(e)); });
      Object.keys(delivered).forEach(function (k) { if (k !== current) { list.appendChild(deliveredItem(k, delivered[k])); } });
      box.hidden = list.children.length === 0;
      return entries;
    }).catch(function () { box.hidden = true; return []; });
  }

  function schedule(seconds) {
    clearTimeout(timer);
    var s = seconds !== null && seconds !== undefined ? seconds : RETRY_SECONDS[Math.min(retries, RETRY_SECONDS.length - 1)];
    retries += 1;
    timer = setTimeout(flush, Math.max(1, s) * 1000);
  }
  function askForSync() {
    if (!navigator.serviceWorker || !navigator.serviceWorker.controller) { return; }
    navigator.serviceWorker.ready.then(function (reg) {
      return reg.sync ? reg.sync.register(SYNC_TAG) : null;
    }).catch(function () { /* the page's own retries remain */ });
  }

  function handle(results) {
    var waiting = null;
    Object.keys(results || {}).forEach(function (key) {
      var res = results[key];
      if (res.outcome === "sent") {
        delivered[key] = res.body;
        if (key === current) { opts.onDelivered(res.body); }
      } else if (res.outcome === "waiting") {
        waiting = res;
        lastReason = res.reason;
      } else if (res.outcome === "rejected" && key === current) {
        opts.onRejected(res.body.errors);
      }
    });
    if (waiting) {
      if (navigator.onLine !== false) { schedule(waiting.retryAfter); }
      askForSync();
    } else {
      retries = 0;
    }
    return render();
  }

  function flush() {
    clearTimeout(timer);
    return window.ReportOutbox.flush().then(handle).catch(function () { /* IndexedDB unavailable */ });
  }

  /* Keep `entry` on the phone, try to send it now; resolves {outcome: "sent"|"waiting"|"rejected", body}.
     Without IndexedDB (private windows of some browsers) it is sent directly and not kept. */
  function submit(entry) {
    current = entry.key;
    return window.ReportOutbox.queue(entry).then(function () {
      return window.ReportOutbox.flush().then(function (results) {
        return window.ReportOutbox.stateOf(entry.key).then(function (state) {
          var mine = results[entry.key];
          // Refused for now by the rate limit, or a server error that is no outage: say so on the form, as
          // before, rather than keep it (a report kept from earlier waits for these too).
          if (mine && (mine.reason === "limited" || mine.reason === "failed")) {
            return { outcome: "rejected", body: mine.body && mine.body.errors ? mine.body : { errors: [{ field: null, message: T.networkError }] } };
          }
          if (state.outcome === "waiting") {
            // Another sender (Background Sync) may have tried it in the meantime: wait all the same.
            results[entry.key] = mine || { outcome: "waiting", reason: lastReason, retryAfter: null };
            handle(results);
            intro.textContent = lastReason === "offline" ? T.queuedNetwork : T.retrying;
            again.hidden = false;
          }
          if (state.outcome === "sent" && mine) { state.body = mine.body; }
          return state;
        });
      });
    }, function () {
      return window.ReportOutbox.deliver(entry).then(function (res) {
        return res.outcome === "waiting" ? { outcome: "rejected", body: { errors: [{ field: null, message: T.networkError }] } } : res;
      });
    });
  }

  function start(options) {
    opts = options;
    T = options.texts;
    box = document.getElementById("outbox");
    list = document.getElementById("outbox-list");
    intro = document.getElementById("outbox-intro");
    again = document.getElementById("outbox-again");
    if (!window.ReportOutbox || !window.indexedDB) { return; }
    window.addEventListener("online", flush);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { flush(); } });
    if (navigator.serviceWorker) {
      navigator.serviceWorker.addEventListener("message", function (e) {
        if (e.data && e.data.type === "outbox") { handle(e.data.results); }
      });
    }
    render().then(function (entries) {   // the next visit: send what an earlier one left waiting
      if (entries.some(function (e) { return !e.rejected; })) {
        if (navigator.onLine !== false) { flush(); } else { askForSync(); }
      }
    });
  }

  window.ReportQueue = { start: start, submit: submit };
})();
