// Counts an item view when a video starts playing or a poster is opened, once per item and page load,
// without holding up the player.
(function () {
  "use strict";
  var page = document.getElementById("exh-booth");
  var csrf = page ? page.getAttribute("data-csrf") : "";

  var sent = {};

  function beacon(url) {
    if (sent[url]) return;  // zooming the same poster three times is one view, like playing a video three times
    sent[url] = true;
    var data = new FormData();
    data.append("csrf_token", csrf);
    if (navigator.sendBeacon && navigator.sendBeacon(url, data)) return;
    fetch(url, { method: "POST", body: data, credentials: "same-origin", keepalive: true }).catch(function () {});
  }
  window.exhibitionBeacon = beacon;

  document.querySelectorAll("video[data-played-url]").forEach(function (video) {
    video.addEventListener("play", function () { beacon(video.getAttribute("data-played-url")); });
  });
})();
