// The exposé grid: lays cards out by time and lets organizers drag them.
// Dropping a card on a block moves it there (start snapped to the programme's step); dropping it on
// another card swaps the two. Both post JSON with the page's CSRF token to the same endpoints the
// page's plain forms use, then reload so the warnings are recomputed by the server.
(function () {
  "use strict";
  var PX_PER_MINUTE = 3;
  var root = document.getElementById("expose-grid");
  if (!root) return;
  var step = parseInt(root.dataset.step, 10) || 5;
  var errorBox = document.getElementById("expose-grid-error");

  function minutesOf(text) {
    var parts = (text || "0:0").split(":");
    return parseInt(parts[0], 10) * 60 + parseInt(parts[1], 10);
  }

  function clock(minutes) {
    minutes = ((minutes % 1440) + 1440) % 1440;
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  function layout() {
    document.querySelectorAll(".expose-track, .expose-hours").forEach(function (track) {
      track.classList.add("positioned");
      track.style.height = (parseInt(track.dataset.length, 10) + 10) * PX_PER_MINUTE + "px";
    });
    document.querySelectorAll(".expose-track [data-top], .expose-hours [data-top]").forEach(function (el) {
      el.style.top = parseInt(el.dataset.top, 10) * PX_PER_MINUTE + "px";
      if (el.dataset.length) el.style.height = Math.max(parseInt(el.dataset.length, 10) * PX_PER_MINUTE, 18) + "px";
    });
  }

  function fail(message) {
    errorBox.textContent = message || root.dataset.errorText;
    errorBox.hidden = false;
    errorBox.scrollIntoView({ block: "nearest" });
  }

  function send(url, body) {
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) { window.location.reload(); return; }
        fail(data.error && data.error.message);
      });
    }).catch(function () { fail(); });
  }

  var dragged = null;
  document.querySelectorAll(".expose-card[draggable='true']").forEach(function (card) {
    card.addEventListener("dragstart", function (e) {
      dragged = card;
      card.classList.add("dragging");
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", card.dataset.presenterId);
    });
    card.addEventListener("dragend", function () { card.classList.remove("dragging"); dragged = null; });
  });

  function over(e) {
    if (!dragged) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    e.currentTarget.classList.add("drop-target");
  }
  function leave(e) { e.currentTarget.classList.remove("drop-target"); }

  document.querySelectorAll(".expose-block").forEach(function (block) {
    block.addEventListener("dragover", over);
    block.addEventListener("dragleave", leave);
    block.addEventListener("drop", function (e) {
      e.preventDefault();
      block.classList.remove("drop-target");
      if (!dragged) return;
      var offset = Math.max(0, e.clientY - block.getBoundingClientRect().top) / PX_PER_MINUTE;
      var start = minutesOf(block.dataset.start) + Math.floor(offset / step) * step;
      send(root.dataset.moveUrl, { presenter_id: dragged.dataset.presenterId, block_id: block.dataset.blockId, start: clock(start) });
    });
  });

  document.querySelectorAll(".expose-track .expose-card").forEach(function (target) {
    target.addEventListener("dragover", function (e) { if (dragged && dragged !== target) over(e); });
    target.addEventListener("dragleave", leave);
    target.addEventListener("drop", function (e) {
      e.preventDefault();
      e.stopPropagation();
      target.classList.remove("drop-target");
      if (!dragged || dragged === target || target.getAttribute("draggable") !== "true") return;
      send(root.dataset.swapUrl, { presenter_id: dragged.dataset.presenterId, other_id: target.dataset.presenterId });
    });
  });

  layout();
})();
