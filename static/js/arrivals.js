/* Live arrivals: polls the page's JSON every few seconds and redraws figures, tables and the chart.
   No reload, no library: the chart is plain SVG. Text comes from the page (#arrivals-text). */
(function () {
  "use strict";

  var root = document.getElementById("arrivals");
  if (!root) { return; }
  var SVG = "http://www.w3.org/2000/svg";
  var text = JSON.parse(document.getElementById("arrivals-text").textContent);
  var data = JSON.parse(document.getElementById("arrivals-data").textContent);
  var jsonUrl = root.getAttribute("data-json-url");
  var interval = (parseInt(root.getAttribute("data-interval"), 10) || 5) * 1000;
  var select = root.querySelector("#category");
  var daySelect = root.querySelector("#day");  // only when the event spans several days
  var etag = null;
  var timer = null;
  var lastUpdated = data.updated;

  function el(tag, content, attrs) {
    var node = document.createElement(tag);
    if (content !== undefined && content !== null) { node.textContent = String(content); }
    if (attrs) { Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); }); }
    return node;
  }

  function svg(tag, attrs, content) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (content !== undefined) { node.textContent = String(content); }
    return node;
  }

  function dash(value) { return value === null || value === undefined ? "–" : value; }

  function fill(name, rows, makeRow, emptyText, columns) {
    var body = root.querySelector('[data-rows="' + name + '"]');
    if (!body) { return; }
    var fragment = document.createDocumentFragment();
    if (!rows.length) {
      var empty = el("tr");
      empty.appendChild(el("td", emptyText, { colspan: String(columns) }));
      fragment.appendChild(empty);
    }
    rows.forEach(function (row) { fragment.appendChild(makeRow(row)); });
    body.replaceChildren(fragment);
  }

  function row(header, cells) {
    var tr = el("tr");
    if (header !== null) { tr.appendChild(el("th", header, { scope: "row" })); }
    cells.forEach(function (c) { tr.appendChild(el("td", c)); });
    return tr;
  }

  function renderTotals(totals) {
    Object.keys(totals).forEach(function (key) {
      var node = root.querySelector('[data-total="' + key + '"]');
      if (node) { node.textContent = String(key === "percent" ? (totals[key] || 0) : totals[key]); }
    });
    var bar = root.querySelector("[data-total-progress]");
    if (bar) { bar.value = totals.arrived; bar.max = totals.expected || 1; }
  }

  // The y axis counts people: whole-number steps (1, 2, 5, 10, 20, 25, 50, …), at most about 5 of them.
  function yTicks(value) {
    var rough = Math.max(1, value / 5), power = Math.pow(10, Math.floor(Math.log10(rough))), step = 10 * power;
    [1, 2, 2.5, 5, 10].some(function (c) { if (c * power >= rough && Number.isInteger(c * power)) { step = c * power; return true; } return false; });
    var count = Math.max(1, Math.ceil(value / step));
    return { step: step, count: count, max: step * count };
  }

  var FONT = 13;  // px: the chart is drawn at the size it is shown (one unit a pixel), so the labels stay readable on a phone
  var lastBuckets = null;

  function renderChart(buckets) {
    var chart = document.getElementById("arrivals-chart");
    if (!chart) { return; }
    lastBuckets = buckets;
    var width = Math.max(280, Math.round(chart.getBoundingClientRect().width) || 800), height = 260;
    var left = 40, right = 10, top = 12, bottom = 46;
    chart.setAttribute("viewBox", "0 0 " + width + " " + height);
    var plotW = width - left - right, plotH = height - top - bottom;
    var nodes = [];
    if (!buckets.length) {
      nodes.push(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", fill: "#666", "font-size": FONT + 1 }, text.chart_empty));
      chart.replaceChildren.apply(chart, nodes);
      return;
    }
    var ticks = yTicks(Math.max.apply(null, buckets.map(function (b) { return b.count; })));
    var max = ticks.max;
    for (var g = 0; g <= ticks.count; g++) {
      var y = top + plotH - plotH * g / ticks.count;
      nodes.push(svg("line", { x1: left, x2: width - right, y1: y, y2: y, stroke: "#e3e6ea" }));
      nodes.push(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", fill: "#555", "font-size": FONT, "data-tick": ticks.step * g }, String(ticks.step * g)));
    }
    var slot = plotW / buckets.length;
    var barW = Math.max(1, slot * 0.8);
    var every = Math.max(1, Math.ceil(buckets.length / Math.max(2, Math.floor(plotW / 52))));  // a time label is about 40 px wide
    var previousDate = null;
    buckets.forEach(function (b, i) {
      var h = plotH * b.count / max;
      var x = left + i * slot + (slot - barW) / 2;
      var bar = svg("rect", { x: x.toFixed(2), y: (top + plotH - h).toFixed(2), width: barW.toFixed(2), height: h.toFixed(2), fill: "#1d4ed8", "data-count": b.count });
      bar.appendChild(svg("title", {}, b.date + " " + b.label + ": " + b.count));
      nodes.push(bar);
      if (i % every === 0) {
        nodes.push(svg("text", { x: (left + i * slot + slot / 2).toFixed(2), y: top + plotH + 18, "text-anchor": "middle", fill: "#555", "font-size": FONT }, b.label));
      }
      if (b.date !== previousDate) {
        var dateX = left + i * slot, atEnd = dateX > width - right - 7 * FONT;  // a date is about 6.5 font sizes wide: kept inside
        nodes.push(svg("text", { x: (atEnd ? width - right : dateX).toFixed(2), y: top + plotH + 38, fill: "#333", "font-size": FONT,
                                 "text-anchor": atEnd ? "end" : "start" }, b.date));
        previousDate = b.date;
      }
    });
    nodes.push(svg("line", { x1: left, x2: width - right, y1: top + plotH, y2: top + plotH, stroke: "#999" }));
    chart.replaceChildren.apply(chart, nodes);
  }

  function renderInside(groups) {
    var box = root.querySelector('[data-rows="inside"]');
    if (!box || !groups.length) { return; }  // no entry-and-exit checkpoint: the page's note stays
    var open = {};  // keep the name lists the reader opened
    box.querySelectorAll("article[data-checkpoint]").forEach(function (node) {
      var details = node.querySelector("details");
      open[node.getAttribute("data-checkpoint")] = Boolean(details && details.open);
    });
    var fragment = document.createDocumentFragment();
    groups.forEach(function (group) {
      var article = el("article", null, { "data-checkpoint": group.checkpoint_id });
      var header = el("header");
      header.appendChild(el("strong", group.checkpoint));
      header.appendChild(document.createTextNode(": " + group.count));
      article.appendChild(header);
      if (group.people.length) {
        var details = el("details", null, { "data-role": "inside-names" });
        details.open = Boolean(open[String(group.checkpoint_id)]);
        details.appendChild(el("summary", text.show_names));
        var list = el("ul");
        group.people.forEach(function (p) { list.appendChild(el("li", p.name + (p.organization ? " · " + p.organization : ""))); });
        details.appendChild(list);
        if (group.truncated) { details.appendChild(el("p", text.more.replace("{num}", group.count - group.people.length), { "class": "muted" })); }
        article.appendChild(details);
      } else {
        article.appendChild(el("p", text.nobody, { "class": "muted" }));
      }
      fragment.appendChild(article);
    });
    box.replaceChildren(fragment);
  }

  function render(snapshot) {
    renderTotals(snapshot.totals);
    renderChart(snapshot.buckets);
    fill("buckets", snapshot.buckets, function (b) { return row(null, [b.date + " " + b.label, b.count, b.cumulative]); }, text.chart_empty, 3);
    fill("by_category", snapshot.by_category, function (r) {
      var tr = row(r.name, [r.expected, r.arrived, dash(r.percent)]);
      tr.setAttribute("data-id", r.id);
      return tr;
    }, text.nobody, 4);
    fill("by_checkpoint", snapshot.by_checkpoint, function (r) {
      var tr = row(r.name, [r.checked_in, dash(r.inside)]);
      tr.setAttribute("data-id", r.id);
      return tr;
    }, text.nobody, 3);
    fill("by_region", snapshot.by_region, function (r) { return row(r.name, [r.province, r.expected, r.arrived, r.missing]); }, text.nobody, 5);
    renderInside(snapshot.inside);
    var missing = snapshot.not_arrived;
    fill("not_arrived", missing.people, function (p) {
      var tr = row(null, [p.name, p.position, p.organization, p.province, p.category]);
      tr.setAttribute("data-registration", p.registration_id);
      return tr;
    }, text.all_arrived, 5);
    root.querySelector('[data-role="not-arrived-count"]').textContent = String(missing.count);
    var more = root.querySelector('[data-role="not-arrived-more"]');
    more.hidden = !missing.truncated;
    more.textContent = text.more.replace("{num}", missing.count - missing.people.length);
  }

  function showUpdated(time) {
    lastUpdated = time || lastUpdated;
    root.querySelector('[data-role="updated"]').textContent = text.updated.replace("{time}", lastUpdated);
    root.querySelector('[data-role="status"]').textContent = "";
  }

  function url() {
    var params = new URLSearchParams();
    if (select && select.value) { params.set("category", select.value); }
    if (daySelect) { params.set("day", daySelect.value); }  // always sent: without it the server picks today
    var query = params.toString();
    return query ? jsonUrl + "?" + query : jsonUrl;
  }

  function follow(name, value) {
    etag = null;
    var address = new URL(window.location.href);
    if (value) { address.searchParams.set(name, value); } else { address.searchParams.delete(name); }
    window.history.replaceState(null, "", address.toString());
    var hidden = root.querySelector('[data-role="' + name + '-value"]');  // the other form keeps the choice
    if (hidden) { hidden.value = value; }
    poll();
  }

  function poll() {
    clearTimeout(timer);
    var headers = { "Accept": "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(url(), { headers: headers, credentials: "same-origin", cache: "no-store", redirect: "error" })
      .then(function (response) {
        var updated = response.headers.get("X-Arrivals-Updated");
        if (response.status === 304) { showUpdated(updated); return; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        etag = response.headers.get("ETag");
        return response.json().then(function (snapshot) { render(snapshot); showUpdated(snapshot.updated); });
      })
      .catch(function () {
        root.querySelector('[data-role="status"]').textContent = text.offline.replace("{time}", lastUpdated);
      })
      .then(function () { timer = setTimeout(poll, interval); });
  }

  if (select) {
    select.addEventListener("change", function () { follow("category", select.value); });
  }
  if (daySelect) {
    daySelect.addEventListener("change", function () {
      var note = root.querySelector('[data-role="day-note"]');
      if (note) { note.hidden = daySelect.value === "all"; }
      follow("day", daySelect.value);
    });
  }
  root.querySelectorAll('[data-role="filter-button"]').forEach(function (button) { button.hidden = true; });  // choices apply at once

  var resizeTimer = null;
  window.addEventListener("resize", function () {  // drawn at its shown size: drawn again when that changes (a phone turned)
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (lastBuckets) { renderChart(lastBuckets); } }, 200);
  });

  renderChart(data.buckets);
  timer = setTimeout(poll, interval);
}());
