/* Reports kept on this phone (IndexedDB) until they are delivered, and the links of those delivered.

   Shared by the report page, the "my reports" page and the service worker (importScripts), so it uses
   nothing of the DOM. Store "outbox": a report not yet accepted by the server (its fields, its photos as
   blobs and its Idempotency-Key); store "sent": what the phone remembers of a delivered report (token,
   category, times, last known status; no text, e-mail or photo). Every send carries the report's own
   Idempotency-Key, so the page, a later visit and Background Sync may all try: the server stores it once.
   A Web Lock keeps two of them from sending at the same moment where the browser has Web Locks. */
(function (root) {
  "use strict";
  var DB_NAME = "graffiti-reports";
  var LOCK = "graffiti-report-outbox";
  var MAX_RETRY_AFTER = 300;         // seconds: a longer Retry-After (an HTTP date, a long limit) is tried sooner
  var BUSY = [408, 502, 503, 504];   // the service or a gateway says: not now, come back (Retry-After)
  var dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = root.indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore("outbox", { keyPath: "key" });
          req.result.createObjectStore("sent", { keyPath: "token" });
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { dbPromise = null; reject(req.error); };
      });
    }
    return dbPromise;
  }

  // One transaction on one store; `work(store)` may return a request whose result the promise gives.
  function withStore(name, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(name, mode);
        var req = work(t.objectStore(name));
        t.oncomplete = function () { resolve(req ? req.result : undefined); };
        t.onerror = t.onabort = function () { reject(t.error); };
      });
    });
  }

  function byCreated(a, b) { return a.created - b.created; }

  function queue(entry) { return withStore("outbox", "readwrite", function (s) { return s.put(entry); }); }
  function pending() {
    return withStore("outbox", "readonly", function (s) { return s.getAll(); }).then(function (l) { return l.sort(byCreated); });
  }
  function forget(key) { return withStore("outbox", "readwrite", function (s) { return s.delete(key); }); }
  function remember(record) { return withStore("sent", "readwrite", function (s) { return s.put(record); }); }
  function sentReports() {
    return withStore("sent", "readonly", function (s) { return s.getAll(); })
      .then(function (l) { return l.sort(byCreated).reverse(); });
  }
  function removeSent(token) { return withStore("sent", "readwrite", function (s) { return s.delete(token); }); }
  function findSent(key) {
    return sentReports().then(function (l) { return l.filter(function (r) { return r.key === key; })[0] || null; });
  }

  function formData(entry) {
    var fd = new FormData();
    Object.keys(entry.fields).forEach(function (k) { fd.append(k, entry.fields[k]); });
    entry.photos.forEach(function (p) { fd.append("photos", p.blob, p.name); });
    return fd;
  }

  function retryAfter(resp) {
    var s = parseInt(resp.headers.get("Retry-After") || "", 10);
    return isFinite(s) && s >= 0 ? Math.min(s, MAX_RETRY_AFTER) : null;
  }

  /* Send one queued report. Resolves {outcome, body, reason, retryAfter}: "sent" (stored on the server,
     moved from the outbox to "sent"), "waiting" (it stays queued; reason "offline": no network; "busy": an
     outage, 503 from the service when it cannot reach its database, 502/504 from a gateway, 408; "limited":
     the rate limit (429); "failed": another 5xx; with the answer's body and Retry-After in seconds) or
     "rejected" (the server refused what was entered: 4xx with messages, kept with them until the citizen
     edits or discards it). */
  function deliver(entry) {
    return root.fetch(entry.api, {
      method: "POST", body: formData(entry), credentials: "same-origin",
      headers: { "Idempotency-Key": entry.key, "X-Report-Client": "web", "Accept": "application/json" },
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (resp.status === 200 || resp.status === 201) {
          var sent = { outcome: "sent", body: body };
          return remember({ token: body.token, key: entry.key, created: entry.created, category: entry.fields.category,
                            photos: entry.photos.length, status: body.status, checked: Date.now() })
            .then(function () { return forget(entry.key); })
            .then(function () { return sent; }, function () { return sent; });
        }
        if (resp.status === 408 || resp.status === 429 || resp.status >= 500) {
          var reason = resp.status === 429 ? "limited" : BUSY.indexOf(resp.status) >= 0 ? "busy" : "failed";
          return { outcome: "waiting", reason: reason, retryAfter: retryAfter(resp), body: body };
        }
        var errors = body.errors || [{ field: null, message: resp.statusText || String(resp.status) }];
        entry.rejected = errors;
        var rejected = { outcome: "rejected", body: { errors: errors } };
        return queue(entry).then(function () { return rejected; }, function () { return rejected; });
      });
    }, function () { return { outcome: "waiting", reason: "offline", retryAfter: null }; });
  }

  function locked(work) {
    var locks = root.navigator && root.navigator.locks;
    return locks ? locks.request(LOCK, work) : work();
  }

  /* Send every queued report that the server has not refused, oldest first; stops at the first one that
     has to wait (the others would wait too). Resolves {key: result} for those it tried. */
  function flush() {
    return locked(function () {
      return pending().then(function (entries) {
        var results = {};
        var todo = entries.filter(function (e) { return !e.rejected; });
        function next(i) {
          if (i >= todo.length) { return results; }
          return deliver(todo[i]).then(function (res) {
            results[todo[i].key] = res;
            return res.outcome === "waiting" ? results : next(i + 1);
          });
        }
        return next(0);
      });
    });
  }

  /* What became of the report with Idempotency-Key `key`: sent (with the server's answer as far as the
     phone keeps it), still queued (waiting or rejected) or unknown. */
  function stateOf(key) {
    return findSent(key).then(function (sent) {
      if (sent) { return { outcome: "sent", body: { token: sent.token, status: sent.status, status_url: "/r/" + sent.token } }; }
      return pending().then(function (l) {
        var e = l.filter(function (x) { return x.key === key; })[0];
        if (!e) { return { outcome: "unknown" }; }
        return e.rejected ? { outcome: "rejected", body: { errors: e.rejected } } : { outcome: "waiting" };
      });
    });
  }

  root.ReportOutbox = { queue: queue, pending: pending, forget: forget, flush: flush, deliver: deliver,
                        stateOf: stateOf, sentReports: sentReports, remember: remember, removeSent: removeSent };
})(self);
