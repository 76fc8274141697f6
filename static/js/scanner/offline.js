// Working without network: the check-ins this device knows of, its own verdict on a code (and
// what the screen shows of it), and the service worker that keeps the page for a reload while offline.

import { fmt } from "./ui.js";
import { offlineVerdict, searchMark, searchRoster } from "./verdict.js";
import { decodeToken, normalizeDeskCode, verifySignature } from "./verify.js";

// The synced check-ins, less those undone here, plus those learnt since and those queued as admitted.
export function checkinsNow(state) {
  const undone = new Set(state.recent.filter((r) => r.kind === "undone").map((r) => r.checkin_id));
  const seen = new Set();
  const rows = [];
  for (const c of [...(state.data ? state.data.checkins : []), ...state.recent.filter((r) => r.kind === "checkin")]) {
    if (undone.has(c.id) || seen.has(c.id)) continue;
    seen.add(c.id);
    rows.push(c);
  }
  for (const q of state.queue) {
    if (q.local_result === "ok" && q.ticket_id) rows.push({ ticket_id: q.ticket_id, checkpoint_id: q.checkpoint_id, direction: q.direction, at: q.scanned_at, checkpoint_name: q.checkpoint_name });
  }
  return rows;
}

// The roster's people matching `q` (name or desk code), marked as at `checkpoint`: {shown (≤ limit), truncated}.
export function searchOffline(state, q, checkpoint, zone, limit) {
  const checkins = checkinsNow(state);
  const found = searchRoster(state.index, q, normalizeDeskCode(q), limit + 1);
  const shown = found.slice(0, limit).map((entry) => ({ ...entry, mark: searchMark(entry, checkins, checkpoint, { zone }) }));
  return { shown, truncated: found.length > limit };
}

// What the device can say by itself about a code, from the synced data (state: main.js's).
export async function judgeOffline(state, scan, checkpoint, entry, libraryUrl) {
  if (!state.data) return { result: null };
  let target = entry ? { entry } : null;
  if (!target) {
    const claims = decodeToken(scan.code.toUpperCase());
    if (claims) {
      // A ticket of another event: the server names it; offline only its key is missing, not the fact.
      if (claims.version === 1 && claims.eventId !== state.data.event.id) return { result: "not_allowed_here", otherEvent: true };
      const genuine = claims.version === 1 && (await verifySignature(state.publicKey, claims, libraryUrl));
      if (!genuine) return { result: "invalid_signature" };
      target = { claims };
    } else {
      const deskCode = normalizeDeskCode(scan.code);
      const found = state.index.byCode.get(deskCode);
      // A well-formed desk code not in the list may belong to someone registered since the last sync: the server decides.
      if (!found) return { result: deskCode ? "unverified" : "unknown" };
      target = { entry: found };
    }
  }
  return offlineVerdict(state.index, checkinsNow(state), target, { checkpoint, direction: scan.direction, now: new Date(), zone: state.data.event.timezone });
}

// What the screen shows for judgeOffline's verdict on `scan` (ui.showResult's verdict).
// formatWhen: ui's, {time, date} with the date only for another day than the scan's (as the server says it).
export function offlineShown(verdict, scan, index, strings, formatWhen) {
  const { nonce } = scan;
  if (verdict.result === null) return { result: "error", title: strings.no_data, note: strings.checked_offline, nonce };
  if (verdict.otherEvent) return { result: verdict.result, title: strings.other_event_title, note: strings.other_event, nonce };
  if (verdict.result === "unverified") return { result: "unverified", title: strings.unverified, note: strings.check_when_online, nonce };
  const { entry, previous } = verdict;
  let note = strings.checked_offline;
  if (previous) {
    const { time, date } = formatWhen(previous.at, new Date(scan.scanned_at));
    const out = previous.direction === "out";
    const template = date ? (out ? strings.exit_on : strings.checked_in_on) : out ? strings.exit_at : strings.checked_in_at;
    note = fmt(template, { date, time, gate: previous.checkpoint_name || "" });
  } else if (verdict.result === "ok" && verdict.bySignature) note = strings.by_signature;
  const ticketId = verdict.ticketId || (entry ? entry.ticket_id : null);
  let attendee = ticketId ? { name: fmt(strings.ticket, { id: ticketId }) } : null;
  if (entry) {
    const category = index.categories.get(entry.category_id) || null;
    attendee = { name: entry.name, position: entry.position, organization: entry.organization, category };
  }
  const title = verdict.result === "ok" && scan.direction === "out" ? strings.out : undefined;
  return { result: verdict.result, title, attendee, note, nonce };
}

export async function registerServiceWorker(page) {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register(page.dataset.sw, { scope: "/scan/" });
    const { active } = await navigator.serviceWorker.ready;
    await new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = resolve;
      active.postMessage({ type: "keep-page", url: location.href }, [channel.port2]);
      setTimeout(resolve, 15000);
    });
    page.dataset.offlineReady = "1";
  } catch {
    // no offline copy of the page: it still scans while it stays open
  }
}
