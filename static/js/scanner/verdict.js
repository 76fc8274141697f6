// The offline verdict: what the server would answer, worked out from the synced bootstrap
// (roster, revocation list, checkpoints, check-ins) and this device's own check-ins.
// Same reason codes as the scan API.

export function indexBootstrap(data) {
  const byTicket = new Map();
  const byCode = new Map();
  const byRegistration = new Map();
  for (const entry of data.roster || []) {
    byTicket.set(entry.ticket_id, entry);
    if (entry.code) byCode.set(entry.code, entry);
    byRegistration.set(entry.registration_id, entry);
  }
  const revoked = new Set((data.revoked || []).map((r) => `${r.ticket_id}:${r.serial}`));
  const categories = new Map((data.categories || []).map((c) => [c.id, c]));
  const checkpoints = new Map((data.checkpoints || []).map((c) => [c.id, c]));
  return { byTicket, byCode, byRegistration, revoked, categories, checkpoints };
}

// The checkpoint this screen starts at: the one chosen here before, else the device's (always, for a kiosk:
// it stands where the organizer put it), else the only one.
export function chosenCheckpoint(checkpoints, remembered, device, kiosk) {
  const known = (id) => checkpoints.some((c) => String(c.id) === String(id));
  const assigned = device && known(device.checkpoint_id) ? device.checkpoint_id : null;
  let chosen = remembered;
  if (!known(chosen) || (kiosk && assigned)) chosen = assigned;
  if (!chosen && checkpoints.length === 1) chosen = checkpoints[0].id;
  return chosen;
}

const dayFormats = new Map();

export function localDay(at, zone) {
  if (!dayFormats.has(zone)) {
    dayFormats.set(zone, new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }));
  }
  return dayFormats.get(zone).format(new Date(at));
}

function earlierAdmission(checkins, ticketId, checkpoint, direction, now, zone) {
  const mine = checkins
    .filter((c) => c.ticket_id === ticketId && c.checkpoint_id === checkpoint.id)
    .sort((a, b) => new Date(a.at) - new Date(b.at));
  const entries = mine.filter((c) => (c.direction || "in") === "in");
  switch (checkpoint.policy) {
    case "unlimited":
      return { result: "ok" };
    case "once_per_day": {
      const today = localDay(now, zone);
      const previous = entries.find((c) => localDay(c.at, zone) === today);
      return previous ? { result: "already_checked_in", previous } : { result: "ok" };
    }
    case "in_out": {
      const last = mine[mine.length - 1];
      const inside = Boolean(last) && (last.direction || "in") === "in";
      if (direction === "out") return inside ? { result: "ok" } : { result: "not_inside", previous: last || null };
      return inside ? { result: "already_checked_in", previous: last } : { result: "ok" };
    }
    default: // "once"
      return entries.length ? { result: "already_checked_in", previous: entries[0] } : { result: "ok" };
  }
}

function outsideWindow(checkpoint, now) {
  const opens = checkpoint.opens_at ? new Date(checkpoint.opens_at) : null;
  const closes = checkpoint.closes_at ? new Date(checkpoint.closes_at) : null;
  return (opens && now < opens) || (closes && now >= closes);
}

// target: {claims} for a token whose signature was verified, or {entry} for a roster entry
// (found by desk code or search). Returns {result, entry, previous, bySignature}.
export function offlineVerdict(index, checkins, target, { checkpoint, direction = "in", now = new Date(), zone }) {
  const claims = target.claims || null;
  const entry = target.entry || (claims ? index.byTicket.get(claims.ticketId) : null) || null;
  const ticketId = entry ? entry.ticket_id : claims ? claims.ticketId : null;
  if (ticketId === null) return { result: "unknown", entry: null };
  if (claims && (index.revoked.has(`${claims.ticketId}:${claims.serial}`) || (entry && claims.serial < entry.serial))) {
    return { result: "revoked", entry };
  }
  if (entry && !entry.live) return { result: "revoked", entry };
  const allowed = checkpoint.category_ids || [];
  if (entry && allowed.length && !allowed.includes(entry.category_id)) return { result: "not_allowed_here", entry };
  if (outsideWindow(checkpoint, now)) return { result: "outside_window", entry };
  const verdict = earlierAdmission(checkins, ticketId, checkpoint, direction, now, zone);
  return { ...verdict, entry, ticketId, bySignature: !entry };
}

// What a search result says about a person at a checkpoint, as its policy counts admissions:
// "cancelled", "checked_in", "checked_in_today", "inside", "outside", or "" (nothing to say).
export function searchMark(entry, checkins, checkpoint, { now = new Date(), zone }) {
  if (!entry.live) return "cancelled";
  if (!checkpoint) return "";
  const mine = checkins
    .filter((c) => c.ticket_id === entry.ticket_id && c.checkpoint_id === checkpoint.id)
    .sort((a, b) => new Date(a.at) - new Date(b.at));
  const entries = mine.filter((c) => (c.direction || "in") === "in");
  switch (checkpoint.policy) {
    case "unlimited":
      return "";
    case "once_per_day": {
      const today = localDay(now, zone);
      return entries.some((c) => localDay(c.at, zone) === today) ? "checked_in_today" : "";
    }
    case "in_out": {
      const last = mine[mine.length - 1];
      if (!last) return "";
      return (last.direction || "in") === "in" ? "inside" : "outside";
    }
    default: // "once"
      return entries.length ? "checked_in" : "";
  }
}

function fold(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

// Offline search over the roster: by desk code, else every word found in the name or organization.
export function searchRoster(index, query, deskCode, limit = 20) {
  if (deskCode) {
    const entry = index.byCode.get(deskCode);
    return entry ? [entry] : [];
  }
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  const found = [];
  for (const entry of index.byTicket.values()) {
    const haystack = fold(`${entry.name} ${entry.organization || ""}`);
    if (words.every((w) => haystack.includes(w))) {
      found.push(entry);
      if (found.length >= limit) break;
    }
  }
  return found;
}
