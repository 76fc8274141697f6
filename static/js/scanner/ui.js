// What the scanning screen shows: the verdict filling the screen, the online/offline badge with
// the number of scans waiting, the checkpoint chooser, search results, corrections after sync.
// Every text comes from the page (the template's JSON block), in the page's language.

const $ = (id) => document.getElementById(id);

export function fmt(template, values) {
  return String(template || "").replace(/%\((\w+)\)s/g, (_, key) => (values[key] ?? "").toString());
}

export function colourFor(result) {
  if (result === "ok") return "green";
  if (result === "already_checked_in" || result === "unverified") return "amber"; // unverified: checked by the server at sync
  if (result === "undone") return "grey";
  return "red";
}

// page: {zone, abbreviation}: the event's zone and its name as the server writes it (WIB, WITA, WIT).
export function makeUi(strings, page) {
  let zone = page.zone || "UTC";
  let undoesExit = false; // the Undo on the screen takes back an exit
  let timeFormat = null;
  let dateFormat = null;

  // "07:08 WIB", as the server's own messages write times (eventsys.core.i18n.local_time).
  function formatTime(iso) {
    if (!iso) return "";
    if (!timeFormat) {
      timeFormat = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" });
    }
    const parts = Object.fromEntries(timeFormat.formatToParts(new Date(iso)).map((part) => [part.type, part.value]));
    const name = zone === page.zone && page.abbreviation ? page.abbreviation : parts.timeZoneName;
    return `${parts.hour}:${parts.minute} ${name}`;
  }

  // "22 November 2026" (id) or "November 22, 2026" (en), as the server's long dates (eventsys.core.i18n.local_date).
  function formatDate(iso) {
    if (!dateFormat) {
      dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || "en", { timeZone: zone, day: "numeric", month: "long", year: "numeric" });
    }
    return dateFormat.format(new Date(iso));
  }

  // {time, date}: the date only when `iso` was not on the day of `now` on the event's clock (verdicts.py _when).
  function formatWhen(iso, now = new Date()) {
    const same = formatDate(iso) === formatDate(now);
    return { time: formatTime(iso), date: same ? "" : formatDate(iso) };
  }

  function setText(id, text) {
    const node = $(id);
    node.textContent = text || "";
    node.hidden = !text;
  }

  return {
    formatTime,
    formatWhen,
    setZone(value) {
      zone = value || "UTC";
      timeFormat = null;
      dateFormat = null;
    },
    setHeader(eventName, deviceName) {
      if (eventName) $("event-name").textContent = eventName;
      $("device-name").textContent = deviceName || "";
    },
    show(section) {
      for (const id of ["unpaired", "station"]) $(id).hidden = id !== section;
      $("net-status").hidden = section !== "station";
    },
    notice(text) {
      setText("notice", text);
    },
    setStatus({ online, revoked, reachable, waiting, syncing }) {
      const badge = $("net-status");
      badge.dataset.state = revoked ? "revoked" : online ? "online" : "offline";
      badge.textContent = revoked ? strings.unpaired : online ? strings.online : strings.offline;
      badge.hidden = false;
      // Changing the language loads the page again: not without network (it would leave the scanner).
      for (const button of document.querySelectorAll("[data-lang]")) button.disabled = !reachable;
      const count = $("queue-count");
      count.dataset.count = String(waiting);
      count.textContent = syncing && waiting ? strings.syncing : fmt(strings.waiting, { num: waiting });
      count.hidden = waiting === 0;
      $("sync-now").hidden = waiting === 0 || !online;
    },
    fillCheckpoints(checkpoints, selectedId) {
      const select = $("checkpoint");
      select.replaceChildren();
      const blank = new Option(strings.choose_checkpoint, "");
      blank.disabled = true;
      select.append(blank);
      for (const c of checkpoints) select.append(new Option(c.name, String(c.id)));
      select.value = selectedId ? String(selectedId) : "";
      if (!checkpoints.length) this.notice(strings.no_checkpoints);
    },
    setDirection(visible, value) {
      $("direction").hidden = !visible;
      for (const button of document.querySelectorAll("[data-direction]")) {
        button.setAttribute("aria-pressed", String(button.dataset.direction === value));
      }
    },
    // verdict: {result, title?, attendee?: {name, position, organization, category: {name, color}}, note, undo?}
    showResult(verdict) {
      const panel = $("result");
      const colour = colourFor(verdict.result);
      panel.dataset.state = colour;
      panel.dataset.result = verdict.result;
      panel.dataset.nonce = verdict.nonce || ""; // an offline scan's: its note changes once it is sent
      const person = verdict.attendee || null;
      setText("result-title", verdict.title || strings[verdict.result] || strings.error);
      setText("result-name", person ? person.name : "");
      setText("result-detail", person ? [person.position, person.organization].filter(Boolean).join(" · ") : "");
      const category = $("result-category");
      category.textContent = person && person.category ? person.category.name : "";
      category.hidden = !(person && person.category);
      category.style.backgroundColor = person && person.category ? person.category.color : "";
      setText("result-note", verdict.note || "");
      $("undo").hidden = !verdict.undo;
      undoesExit = verdict.title === strings.out;
      $("undo").textContent = undoesExit ? strings.undo_exit : strings.undo_checkin; // an exit's Undo undoes the exit
      panel.scrollIntoView({ block: "nearest" });
    },
    undoneTitle() {
      return undoesExit ? strings.exit_undone : strings.undone;
    },
    resetResult() {
      const panel = $("result");
      panel.dataset.state = "idle";
      panel.dataset.result = "";
      panel.dataset.nonce = "";
      for (const id of ["result-title", "result-name", "result-detail", "result-category", "result-note"]) setText(id, "");
      $("undo").hidden = true;
    },
    // A queued scan was sent and the server recorded `server` (a result code): the panel still showing it
    // no longer says it will be sent.
    sent(scan, server) {
      const waiting = [strings.checked_offline, strings.check_when_online];
      if (!scan.nonce || $("result").dataset.nonce !== scan.nonce || !waiting.includes($("result-note").textContent)) return;
      setText("result-note", server === scan.local_result ? strings.sent : fmt(strings.sent_differs, { server: strings[server] || server }));
    },
    // Scans queued under a pairing the organizer ended: not counted; listed for the organizer to be told, until onClear(rows).
    showNotSent(rows, onClear) {
      const list = $("not-sent-list");
      list.replaceChildren();
      for (const row of rows) {
        const item = document.createElement("li");
        const name = row.name || (row.ticket_id ? fmt(strings.ticket, { id: row.ticket_id }) : row.code.slice(0, 24));
        item.textContent = [name, `${formatDate(row.scanned_at)} ${formatTime(row.scanned_at)}`, row.checkpoint_name].filter(Boolean).join(" · ");
        list.append(item);
      }
      setText("not-sent-title", rows.length ? fmt(strings.not_sent, { num: rows.length }) : "");
      $("not-sent").hidden = rows.length === 0;
      $("not-sent-clear").onclick = () => onClear(rows);
    },
    hideUndo() {
      $("undo").hidden = true;
    },
    showUndo() {
      $("undo").hidden = false;
    },
    // Whether the verdict on the screen is still that of the scan with this nonce (an offline one).
    showing(nonce) {
      return Boolean(nonce) && $("result").dataset.nonce === nonce;
    },
    // results: roster entries with their mark (verdict.js searchMark); a cancelled one cannot be picked.
    renderSearch(results, message, onPick, truncated = false) {
      const list = $("search-results");
      list.replaceChildren();
      setText("search-message", [message, truncated ? strings.search_truncated : ""].filter(Boolean).join(" "));
      for (const entry of results) {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "secondary outline";
        button.dataset.testid = "search-result";
        button.dataset.mark = entry.mark || "";
        button.disabled = entry.mark === "cancelled";
        const name = document.createElement("strong");
        name.textContent = entry.name;
        const detail = document.createElement("small");
        detail.textContent = [entry.position, entry.organization, entry.code].filter(Boolean).join(" · ");
        button.append(name);
        if (entry.mark) {
          const mark = document.createElement("span");
          mark.className = "search-mark";
          mark.dataset.testid = "search-mark";
          mark.textContent = strings[entry.mark] || entry.mark;
          button.append(" ", mark);
        }
        button.append(document.createElement("br"), detail);
        button.addEventListener("click", () => onPick(entry));
        item.append(button);
        list.append(item);
      }
    },
    showDifferences(rows) {
      const list = $("difference-list");
      list.replaceChildren();
      for (const row of rows) {
        const item = document.createElement("li");
        item.textContent = fmt(strings.differs, {
          name: row.name,
          local: row.local ? strings[row.local] || row.local : "—",
          server: strings[row.server] || row.server,
        });
        if (row.message) {
          const note = document.createElement("small");
          note.textContent = row.message;
          item.append(document.createElement("br"), note);
        }
        list.append(item);
      }
      $("differences").hidden = rows.length === 0;
    },
  };
}
