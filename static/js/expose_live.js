/* Live exposé pages: the hall display and the timekeeper's view poll their JSON every few seconds;
   the countdown ticks every second from the server's clock. No library. Text comes from the page
   (#expose-live-text); the timekeeper's page reloads when something was recorded elsewhere, so its
   buttons always act on what is shown. */
(function () {
  "use strict";

  var root = document.getElementById("expose-live");
  if (!root) { return; }
  var text = JSON.parse(document.getElementById("expose-live-text").textContent);
  var mode = root.getAttribute("data-mode");
  var jsonUrl = root.getAttribute("data-json-url");
  var interval = (parseInt(root.getAttribute("data-interval"), 10) || 5) * 1000;
  var offset = 0;  // server clock minus this device's clock, in ms
  var state = null;
  var lastUpdated = "";
  var submitting = false;
  var timer = null;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function format(seconds, signed) {
    var whole = Math.round(seconds);
    var sign = signed ? (whole > 0 ? "+" : whole < 0 ? "-" : "") : (whole < 0 ? "-" : "");
    whole = Math.abs(whole);
    var hours = Math.floor(whole / 3600), minutes = Math.floor((whole % 3600) / 60), secs = whole % 60;
    return sign + (hours ? hours + ":" + pad(minutes) + ":" + pad(secs) : pad(minutes) + ":" + pad(secs));
  }

  function role(scope, name) { return scope.querySelector('[data-role="' + name + '"]'); }

  function setText(scope, name, value) {
    var node = role(scope, name);
    if (node) { node.textContent = value || ""; }
  }

  function fillCard(slotName, item, emptyText) {
    var scope = root.querySelector('[data-slot="' + slotName + '"]');
    if (!scope) { return; }
    var card = role(scope, "card"), empty = role(scope, "empty");
    card.hidden = !item;
    empty.hidden = Boolean(item);
    if (emptyText) { empty.textContent = emptyText; }
    if (!item) { return; }
    setText(scope, "organization", item.organization);
    setText(scope, "person_name", item.person_name);
    setText(scope, "person_title", item.person_title ? " · " + item.person_title : "");
    setText(scope, "planned", item.planned);
    setText(scope, "block", item.block);
    setText(scope, "since", item.state === "presenting" && item.actual ? text.since.replace("{time}", item.actual) : "");
    var logo = role(scope, "logo");
    if (logo) {
      if (item.logo_url) {
        if (logo.getAttribute("src") !== item.logo_url) { logo.setAttribute("src", item.logo_url); }
        logo.hidden = false;
      } else {
        logo.hidden = true;
        logo.removeAttribute("src");
      }
    }
  }

  function clockOf(item) {
    var elapsed = Math.max(0, (Date.now() + offset - Date.parse(item.started_at)) / 1000);
    var talk = item.talk_seconds, length = item.talk_seconds + item.qa_seconds;
    if (elapsed < talk) { return { phase: "talk", shown: format(talk - elapsed) }; }
    if (elapsed < length) { return { phase: "qa", shown: format(length - elapsed) }; }
    return { phase: "overrun", shown: format(elapsed - length, true) };
  }

  function tick() {
    if (mode !== "timekeeper" || !state) { return; }
    var box = role(root, "clock");
    var current = state.current;
    if (!box) { return; }
    box.hidden = !(current && current.started_at);
    if (box.hidden) { return; }
    var clock = clockOf(current);
    var countdown = role(box, "countdown");
    countdown.textContent = clock.shown;
    countdown.classList.toggle("overrun", clock.phase === "overrun");
    setText(box, "phase", text[clock.phase]);
  }

  function renderDelay(data) {
    var node = role(root, "delay");
    if (!node) { return; }
    node.setAttribute("data-status", data.delay_status);
    if (data.delay_status === "late") { node.textContent = text.late.replace("{time}", data.delay_text); }
    else if (data.delay_status === "ahead") { node.textContent = text.ahead.replace("{time}", data.delay_text.replace(/^-/, "")); }
    else { node.textContent = text.on_time; }
  }

  function renderCheckin(item) {
    var node = role(root, "checkin");
    if (!node || !item) { return; }
    node.setAttribute("data-checked", item.checked_in ? "1" : "0");
    node.textContent = item.checked_in ? text.checked_in.replace("{time}", item.checked_in_at) : text.not_checked_in;
  }

  function render(data) {
    if (mode === "timekeeper") {
      if (data.state_key !== root.getAttribute("data-state-key")) {
        if (!submitting) { window.location.reload(); }
        return false;
      }
      renderDelay(data);
      renderCheckin(data.next);
    } else {
      fillCard("current", data.current, data.finished ? text.finished : text.nobody);
      fillCard("next", data.next, text.no_next);
    }
    state = data;
    tick();
    return true;
  }

  function showUpdated(time) {
    lastUpdated = time || lastUpdated;
    setText(root, "updated", text.updated.replace("{time}", lastUpdated));
    setText(root, "status", "");
  }

  function poll() {
    clearTimeout(timer);
    fetch(jsonUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store", redirect: "error" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        offset = Date.parse(data.server_now) - Date.now();
        if (render(data)) { showUpdated(data.updated); }
      })
      .catch(function () {
        setText(root, "status", text.offline.replace("{time}", lastUpdated));
      })
      .then(function () { timer = setTimeout(poll, interval); });
  }

  document.addEventListener("submit", function () { submitting = true; });
  poll();
  window.setInterval(tick, 1000);
}());
