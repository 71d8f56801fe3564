/* Leaflet's own texts in the page's language (they are English in Leaflet): the zoom buttons' names and the
   popups' close button. The texts come from this script tag's data attributes (templates/public/_leaflet.html);
   load it after leaflet.js and before the script that makes the map. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!window.L || !me) { return; }
  var t = me.dataset;
  L.Control.Zoom.prototype.options.zoomInTitle = t.zoomIn;
  L.Control.Zoom.prototype.options.zoomOutTitle = t.zoomOut;
  L.Map.addInitHook(function () {
    this.on("popupopen", function (e) {
      var box = e.popup.getElement();
      var close = box && box.querySelector(".leaflet-popup-close-button");
      if (close) { close.setAttribute("aria-label", t.close); close.setAttribute("title", t.close); }
    });
  });
})();
