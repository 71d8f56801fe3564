/* The service worker of the citizen pages, served at /sw.js (scope "/") after a first line that sets
   self.PWA = {version, pages, data, assets} (app/public/pwa.py).

   - The report page, the start page and "my reports" come from the network when it answers (and are kept
     for later), else from the cache: a report can be written in an underpass. The city boundary likewise.
   - Scripts, styles, icons and Leaflet are cached when the worker is installed (a new version of any of
     them installs a new worker with a new cache) and served from the cache.
   - Reports and status look-ups are never answered from the cache: POSTs are not touched at all, and the
     queue of unsent reports lives in IndexedDB (outbox.js), which Background Sync empties here when the
     browser has it. */
/* global PWA, ReportOutbox */
importScripts("/static/js/outbox.js");

var CACHE = "graffiti-" + PWA.version;
var SYNC_TAG = "report-outbox";
var NAVIGATION_TIMEOUT_MS = 5000;  // a weak signal: show the kept page rather than a blank one after this

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    // One by one: a page that cannot be fetched now must not stop the worker from installing. Without
    // cookies: an answer that arrives after a login on another tab would otherwise set the session cookie of
    // before the login again, and log the user out.
    return Promise.all(PWA.assets.concat(PWA.pages, PWA.data).map(function (url) {
      return cache.add(new Request(url, { credentials: "omit" })).catch(function () { return null; });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("graffiti-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromCache(path) {
  return caches.open(CACHE).then(function (cache) { return cache.match(path, { ignoreVary: true }); });
}

/* The network's answer (kept under `path`, without ?lang=: the page in the language last seen); the kept
   copy when there is no network, the server has an outage (5xx) or it takes longer than `timeout`. */
function networkFirst(request, path, timeout) {
  var network = fetch(request).then(function (resp) {
    if (resp.ok && resp.type === "basic") {
      var copy = resp.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(path, copy); });
    }
    return resp;
  });
  var kept = function (fallback) { return fromCache(path).then(function (r) { return r || fallback(); }); };
  var answer = network.then(function (resp) {
    return resp.status >= 500 ? kept(function () { return resp; }) : resp;
  }, function (err) { return kept(function () { throw err; }); });
  if (!timeout) { return answer; }
  var slow = new Promise(function (resolve) {
    setTimeout(function () { fromCache(path).then(function (r) { if (r) { resolve(r); } }); }, timeout);
  });
  return Promise.race([answer, slow]);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && PWA.pages.indexOf(url.pathname) >= 0) {
    event.respondWith(networkFirst(request, url.pathname, NAVIGATION_TIMEOUT_MS));
  } else if (PWA.data.indexOf(url.pathname) >= 0) {
    event.respondWith(networkFirst(request, url.pathname, 0));
  } else if (PWA.assets.indexOf(url.pathname) >= 0) {
    event.respondWith(fromCache(url.pathname).then(function (r) { return r || fetch(request); }));
  }
});

function tellPages(results) {
  return self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (page) { page.postMessage({ type: "outbox", results: results }); });
  });
}

// Background Sync: the browser wakes the worker when it is online again, even with the page closed.
self.addEventListener("sync", function (event) {
  if (event.tag !== SYNC_TAG) { return; }
  event.waitUntil(ReportOutbox.flush().then(function (results) {
    return tellPages(results).then(function () {
      var waiting = Object.keys(results).some(function (k) { return results[k].outcome === "waiting"; });
      // Rejecting asks the browser to try again later (with back-off), except on its last attempt.
      if (waiting && !event.lastChance) { throw new Error("reports still waiting for the network"); }
    });
  }));
});
