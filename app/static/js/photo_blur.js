/* Staff blur boxes: drag a frame on a photo (mouse, pen or finger); each frame becomes a hidden field
   "left,top,width,height" in shares of the photo, which the server blurs into the stored photo. */
(function () {
  "use strict";
  var MIN_SHARE = 0.005;
  function clamp(v) { return Math.min(1, Math.max(0, v)); }

  Array.prototype.forEach.call(document.querySelectorAll(".blur-editor"), function (form) {
    var frame = form.querySelector(".blur-frame");
    var img = frame.querySelector("img");
    var fields = form.querySelector(".blur-boxes");
    var buttons = form.querySelectorAll("button");
    var start = null, box = null;

    function share(e) {
      var r = img.getBoundingClientRect();
      return { x: clamp((e.clientX - r.left) / r.width), y: clamp((e.clientY - r.top) / r.height) };
    }
    function rect(a, b) {
      return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(a.x - b.x), h: Math.abs(a.y - b.y) };
    }
    function place(el, r) {
      el.style.left = (r.x * 100) + "%"; el.style.top = (r.y * 100) + "%";
      el.style.width = (r.w * 100) + "%"; el.style.height = (r.h * 100) + "%";
    }
    function update() {
      var any = fields.children.length > 0;
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = !any; });
    }
    frame.addEventListener("pointerdown", function (e) {
      e.preventDefault();
      start = share(e);
      box = document.createElement("div");
      box.className = "blur-box";
      frame.appendChild(box);
      place(box, rect(start, start));
      frame.setPointerCapture(e.pointerId);
    });
    frame.addEventListener("pointermove", function (e) {
      if (start) { place(box, rect(start, share(e))); }
    });
    frame.addEventListener("pointerup", function (e) {
      if (!start) { return; }
      var r = rect(start, share(e));
      start = null;
      if (r.w < MIN_SHARE || r.h < MIN_SHARE) { box.remove(); return; }
      place(box, r);
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "box";
      input.value = [r.x, r.y, r.w, r.h].map(function (v) { return v.toFixed(5); }).join(",");
      fields.appendChild(input);
      update();
    });
    form.querySelector(".blur-reset").addEventListener("click", function () {
      fields.textContent = "";
      Array.prototype.forEach.call(frame.querySelectorAll(".blur-box"), function (b) { b.remove(); });
      update();
    });
  });
})();
