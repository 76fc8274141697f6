// Counts an item view when a video starts playing (once per page load), without holding up the player.
(function () {
  "use strict";
  var page = document.getElementById("exh-booth");
  var csrf = page ? page.getAttribute("data-csrf") : "";

  function beacon(url) {
    var data = new FormData();
    data.append("csrf_token", csrf);
    if (navigator.sendBeacon && navigator.sendBeacon(url, data)) return;
    fetch(url, { method: "POST", body: data, credentials: "same-origin", keepalive: true }).catch(function () {});
  }
  window.exhibitionBeacon = beacon;

  document.querySelectorAll("video[data-played-url]").forEach(function (video) {
    var counted = false;
    video.addEventListener("play", function () {
      if (counted) return;
      counted = true;
      beacon(video.getAttribute("data-played-url"));
    });
  });
})();
