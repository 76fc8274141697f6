// Poster gallery: a click opens the poster in a dialog with zoom in / out / fit; Escape closes it.
(function () {
  "use strict";
  var dialog = document.getElementById("exh-lightbox");
  if (!dialog) return;
  var img = dialog.querySelector(".exh-lightbox-stage img");
  var stage = dialog.querySelector(".exh-lightbox-stage");
  var title = dialog.querySelector(".exh-lightbox-title");
  var download = dialog.querySelector(".exh-lightbox-download");
  var scale = 1;
  var fitWidth = 0; // the poster's width when it fits the stage (scale 1)

  // Zoom by resizing the image, not by a transform, so the stage can scroll over all of it.
  function apply() {
    img.style.width = scale === 1 ? "" : Math.round(fitWidth * scale) + "px";
    stage.classList.toggle("zoomed", scale !== 1);
    dialog.setAttribute("data-scale", String(scale));
  }

  function zoom(how) {
    if (scale === 1) fitWidth = img.getBoundingClientRect().width || img.naturalWidth;
    // Keep the point at the centre of the view where it is.
    var cx = (stage.scrollLeft + stage.clientWidth / 2) / (stage.scrollWidth || 1);
    var cy = (stage.scrollTop + stage.clientHeight / 2) / (stage.scrollHeight || 1);
    if (how === "in") scale = Math.min(6, scale * 1.5);
    else if (how === "out") scale = Math.max(0.5, scale / 1.5);
    else scale = 1;
    apply();
    stage.scrollLeft = cx * stage.scrollWidth - stage.clientWidth / 2;
    stage.scrollTop = cy * stage.scrollHeight - stage.clientHeight / 2;
  }

  document.querySelectorAll(".exh-zoomable").forEach(function (button) {
    button.addEventListener("click", function () {
      scale = 1;
      img.src = button.getAttribute("data-full");
      img.alt = button.getAttribute("data-title") || "";
      title.textContent = button.getAttribute("data-title") || "";
      download.href = button.getAttribute("data-full");
      apply();
      if (typeof dialog.showModal === "function") dialog.showModal(); else dialog.setAttribute("open", "");
      if (window.exhibitionBeacon && button.getAttribute("data-view")) window.exhibitionBeacon(button.getAttribute("data-view"));
    });
  });
  dialog.querySelectorAll("[data-zoom]").forEach(function (b) {
    b.addEventListener("click", function () { zoom(b.getAttribute("data-zoom")); });
  });
  dialog.querySelector("[data-close]").addEventListener("click", function () { dialog.close(); });
  img.addEventListener("dblclick", function () { zoom(scale > 1 ? "reset" : "in"); });
  stage.addEventListener("wheel", function (e) {
    if (!e.ctrlKey) return;
    e.preventDefault();
    zoom(e.deltaY < 0 ? "in" : "out");
  }, { passive: false });
  dialog.addEventListener("click", function (e) { if (e.target === dialog) dialog.close(); });
})();
