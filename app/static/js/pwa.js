/* Installs the service worker (/sw.js, scope "/") where the browser has service workers: the citizen
   pages then open without a network and unsent reports wait on the phone (see sw.js and outbox.js). */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) { return; }
  var url = document.currentScript.getAttribute("data-sw");
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(url, { scope: "/" }).catch(function () { /* the pages work without it */ });
  });
})();
