/* Live stage pages of the award night: the stage screen, the backstage view and the operator's
   console poll their JSON every couple of seconds (If-None-Match: an unchanged state answers 304)
   and redraw in place. The operator's page reloads when another operator moved the show, so its
   buttons always carry the version they act on. No library; text comes from #awards-stage-text. */
(function () {
  "use strict";

  var root = document.getElementById("awards-stage");
  if (!root) { return; }
  var text = JSON.parse(document.getElementById("awards-stage-text").textContent);
  var mode = root.getAttribute("data-mode");
  var jsonUrl = root.getAttribute("data-json-url");
  var interval = (parseFloat(root.getAttribute("data-interval")) || 2) * 1000;
  var etag = null;
  var submitting = false;
  var timer = null;

  function role(name, scope) { return (scope || root).querySelector('[data-role="' + name + '"]'); }
  function field(scope, name) { return scope ? scope.querySelector('[data-field="' + name + '"]') : null; }
  function setField(scope, name, value) {
    var node = field(scope, name);
    if (node) { node.textContent = value || ""; }
  }
  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (content) { node.textContent = content; }
    return node;
  }

  function winnerCard(winner, several) {
    var card = el("div", "stage-winner");
    card.setAttribute("data-testid", "stage-winner");
    if (winner.logo_url) {
      var logo = el("img", "stage-logo");
      logo.setAttribute("src", winner.logo_url);
      logo.setAttribute("alt", "");
      card.appendChild(logo);
    }
    var body = el("div");
    if (several) { body.appendChild(el("p", "stage-rank", text.rank.replace("{rank}", winner.rank))); }
    var name = el("p", "stage-organization", winner.organization);
    name.setAttribute("data-role", "winner-name");
    body.appendChild(name);
    var person = [winner.awardee_name, winner.awardee_title].filter(Boolean).join(" · ");
    if (person) { body.appendChild(el("p", "stage-person", person)); }
    if (winner.recipient_name) {
      var by = text.received_by.replace("{name}", winner.recipient_name);
      body.appendChild(el("p", "stage-recipient", winner.on_behalf_of ? by + " (" + winner.on_behalf_of + ")" : by));
    }
    card.appendChild(body);
    return card;
  }

  function renderScreen(data) {
    role("event").textContent = data.event;
    role("title").textContent = data.title;
    role("kicker").textContent = data.category ? (data.winners.length ? text.winner : text.nominees) : "";
    var empty = role("empty");
    empty.hidden = data.started && !data.finished;
    empty.textContent = data.finished ? text.finished : (data.started ? "" : text.not_started);
    var winners = role("winners");
    winners.textContent = "";
    data.winners.forEach(function (w) { winners.appendChild(winnerCard(w, data.winners.length > 1)); });
    var nominees = role("nominees");
    nominees.textContent = "";
    data.nominees.forEach(function (name) { nominees.appendChild(el("li", "", name)); });
    nominees.hidden = data.winners.length > 0 || data.nominees.length === 0;
  }

  function renderCue(name, cue, emptyText) {
    var scope = role(name);
    if (!scope) { return; }
    setField(scope, "title", cue ? cue.title : emptyText);
    setField(scope, "category", cue ? cue.category : "");
    setField(scope, "presenter", cue ? cue.presenter : "");
    setField(scope, "planned", cue ? cue.planned_text : "");
  }

  function renderBackstage(data) {
    var delay = role("delay");
    delay.setAttribute("data-status", data.delay_status);
    delay.textContent = data.delay_text;
    renderCue("current", data.current, data.finished ? text.finished : text.not_started);
    renderCue("next-cue", data.next_cue, "");
    var scope = role("recipient"), r = data.next_recipient;
    field(scope, "empty").hidden = Boolean(r);
    field(scope, "card").hidden = !r;
    if (!r) { return; }
    ["recipient_name", "recipient_position", "on_behalf_of", "category", "organization"].forEach(function (name) {
      setField(scope, name, r[name]);
    });
    var checkin = field(scope, "checkin");
    checkin.setAttribute("data-checked", r.checked_in ? "1" : "0");
    checkin.textContent = r.checked_in ? text.checked_in.replace("{time}", r.checked_in_at) : text.not_checked_in;
  }

  function render(data) {
    if (mode === "operator") {
      if (String(data.version) !== root.getAttribute("data-version") && !submitting) { window.location.reload(); }
      return;
    }
    root.setAttribute("data-version", data.version);
    if (mode === "screen") { renderScreen(data); } else { renderBackstage(data); }
  }

  function status(message) {
    var node = role("status");
    if (node) { node.textContent = message || ""; }
  }

  function poll() {
    clearTimeout(timer);
    var headers = { "Accept": "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(jsonUrl, { headers: headers, credentials: "same-origin", cache: "no-store", redirect: "error" })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (data) {
        status("");
        if (data) { render(data); }
      })
      .catch(function () { status(text.offline); })
      .then(function () { timer = setTimeout(poll, interval); });
  }

  document.addEventListener("submit", function () { submitting = true; });
  timer = setTimeout(poll, mode === "screen" ? 0 : interval);
}());
