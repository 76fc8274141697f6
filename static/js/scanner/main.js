// The scanning screen: camera, handheld scanner (typed input ending in Enter) and search feed
// one queue of codes; each is sent to the scan API while online, or judged on the device and
// queued while offline, and the verdict fills the screen.

import { cameraSwitch } from "./camera.js";
import { NetworkError, errorMessage, makeApi, newNonce } from "./net.js";
import { beep, unlockSound } from "./sound.js";
import * as store from "./store.js";
import { makeSync } from "./sync.js";
import { colourFor, makeUi } from "./ui.js";
import { judgeOffline, offlineShown, registerServiceWorker, searchOffline } from "./offline.js";
import { chosenCheckpoint, indexBootstrap, searchMark } from "./verdict.js";
import { base64urlDecode } from "./verify.js";
import { makeUndo } from "./undo.js";

const PING_MS = 15000;
const REFRESH_MS = 5 * 60 * 1000;
const KIOSK_RESET_MS = 4000;
const MAX_CODE = 512;
const REPEAT_MS = 2000; // a handheld scanner may send one code twice in a moment: the repeat is not a new arrival
const SEARCH_LIMIT = 20; // as the API's

const page = document.body;
const slug = page.dataset.slug;
const strings = JSON.parse(document.getElementById("scanner-strings").textContent);
const ui = makeUi(strings, { zone: page.dataset.zone, abbreviation: page.dataset.zoneAbbreviation });
const $ = (id) => document.getElementById(id);

const state = {
  token: null,
  pairing: null, // store.pairingOf(token): the queue is this pairing's
  data: null,
  index: null,
  publicKey: null,
  recent: [],
  queue: [],
  reachable: true,
  revoked: false,
  lastContact: 0,
  lastBootstrap: 0,
  kiosk: page.dataset.kiosk === "1",
  direction: "in",
  differences: [],
  resetTimer: null,
  lastRead: { key: "", at: 0 },
};
const api = makeApi(page.dataset.api, () => state.token);
let chain = Promise.resolve(); // one code at a time: two quick scans of one ticket see each other
const camera = cameraSwitch($("camera-video"), $("camera-toggle"), (code) => submitCode(code, "scan"), page.dataset.workerUrl);

const online = () => navigator.onLine && state.reachable && !state.revoked;

function refreshStatus(syncing = false) {
  const reachable = navigator.onLine && state.reachable;
  ui.setStatus({ online: online(), revoked: state.revoked, reachable, waiting: state.queue.length, syncing });
  page.dataset.online = online() ? "1" : "0";
}

function setReachable(value) {
  const was = online();
  state.reachable = value;
  if (value) state.lastContact = Date.now();
  refreshStatus();
  if (!was && online()) {
    if (state.queue.length) syncNow();
    if (Date.now() - state.lastBootstrap > REFRESH_MS) refreshBootstrap();
  }
}

// Unpaired by the organizer: said plainly, also after a reload (the token is gone by then).
function showRevoked() {
  state.revoked = true;
  ui.show("unpaired");
  ui.notice(strings.device_unpaired);
  refreshStatus();
  showNotSent();
}

// The scans still waiting from an ended pairing: the server never took them; never sent under another.
async function showNotSent() {
  ui.showNotSent(await store.notSent(slug, state.pairing), (rows) => store.dequeue(rows.map((r) => r.nonce)).then(showNotSent));
}

function deviceRevoked() {
  store.forgetToken(slug);
  store.remember(slug, "revoked", "1");
  state.pairing = null;
  state.queue = [];
  if (camera.running) camera.toggle(false);
  showRevoked();
}

// The synced data.

function useBootstrap(data) {
  state.data = data;
  state.index = indexBootstrap(data);
  state.publicKey = base64urlDecode(data.public_key);
  state.kiosk = state.kiosk || Boolean(data.device && data.device.kiosk);
  page.classList.toggle("kiosk", state.kiosk);
  ui.setZone(data.event.timezone);
  ui.setHeader(data.event.name, data.device ? data.device.name : "");
  const checkpoints = data.checkpoints || [];
  ui.fillCheckpoints(checkpoints, chosenCheckpoint(checkpoints, store.remember(slug, "checkpoint"), data.device, state.kiosk));
  showDirection();
  ui.notice(checkpoints.length ? "" : strings.no_checkpoints);
}

async function refreshBootstrap() {
  const started = Date.now();
  try {
    const reply = await api.get("/scanner", 30000);
    if (reply.status === 401 || reply.status === 403) return deviceRevoked();
    setReachable(true);
    if (!reply.ok) return;
    await store.putBootstrap(slug, reply.data);
    await store.pruneRecent(slug, started);
    state.recent = await store.recent(slug);
    state.lastBootstrap = Date.now();
    useBootstrap(reply.data);
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    setReachable(false);
  }
}

function currentCheckpoint() {
  const id = Number($("checkpoint").value);
  return state.data ? (state.data.checkpoints || []).find((c) => c.id === id) || null : null;
}

function showDirection() {
  const checkpoint = currentCheckpoint();
  const inOut = Boolean(checkpoint && checkpoint.policy === "in_out");
  if (!inOut) state.direction = "in";
  ui.setDirection(inOut, state.direction);
}

async function remember(row) {
  await store.addRecent(slug, row);
  state.recent = await store.recent(slug);
}

function rememberCheckin(c, ticketId) {
  const { id, checkpoint_id, direction, at, checkpoint_name } = c;
  return remember({ key: `${slug}:c:${id}`, kind: "checkin", id, ticket_id: ticketId, checkpoint_id, direction, at, checkpoint_name });
}

// Verdicts.

function show(verdict) {
  clearTimeout(state.resetTimer);
  ui.showResult(verdict);
  beep(colourFor(verdict.result));
  if (state.kiosk) state.resetTimer = setTimeout(() => ui.resetResult(), KIOSK_RESET_MS);
}

const undo = makeUndo(api, ui, strings, {
  minutes: () => (state.data && state.data.undo_minutes) || 5,
  async onUndone(id, undoneId) {
    for (const checkinId of new Set([id, undoneId])) await remember({ key: `${slug}:u:${checkinId}`, kind: "undone", checkin_id: checkinId });
    state.lastRead = { key: "", at: 0 }; // scanned again at once after an undo: a new arrival
    show({ result: "undone", title: ui.undoneTitle(), note: "" });
  },
});

async function showServerVerdict(reply) {
  const entry = reply.attendee && state.index ? state.index.byRegistration.get(reply.attendee.registration_id) : null;
  if (reply.result === "ok" && reply.checkin && entry) await rememberCheckin(reply.checkin, entry.ticket_id);
  const offer = reply.result === "ok" && reply.checkin && !state.kiosk && !reply.replayed;
  let title = reply.result === "ok" && reply.checkin && reply.checkin.direction === "out" ? strings.out : undefined;
  if (reply.result === "not_allowed_here" && !reply.attendee) title = strings.other_event_title; // no one of this event: another event's ticket
  show({ result: reply.result, title, attendee: reply.attendee, note: reply.message, undo: offer });
  if (offer) undo.offer(reply.checkin.id);
}

async function scanOffline(scan, checkpoint, entry) {
  const verdict = await judgeOffline(state, scan, checkpoint, entry, page.dataset.ed25519Url);
  const ticketId = verdict.ticketId || (verdict.entry ? verdict.entry.ticket_id : null);
  const row = { ...scan, local_result: verdict.result, ticket_id: ticketId, name: verdict.entry ? verdict.entry.name : "", pairing: state.pairing };
  await store.enqueue(row);
  state.queue.push(row);
  refreshStatus();
  show(offlineShown(verdict, scan, state.index, strings, ui.formatWhen));
}

async function handleCode(code, source, entry = null) {
  if (!code || state.revoked) return;
  const checkpoint = currentCheckpoint();
  if (!checkpoint) return show({ result: "error", note: strings.choose_checkpoint });
  const scan = {
    nonce: newNonce(),
    slug,
    code,
    checkpoint_id: checkpoint.id,
    checkpoint_name: checkpoint.name,
    direction: state.direction,
    source: state.kiosk && source === "scan" ? "kiosk" : source,
    scanned_at: new Date().toISOString(),
  };
  if (online()) {
    try {
      const { nonce, direction } = scan;
      const reply = await api.post("/scans", { checkpoint_id: checkpoint.id, code, nonce, direction, source: scan.source }, 5000);
      setReachable(true);
      if (reply.status === 401 || reply.status === 403) return deviceRevoked();
      if (reply.ok) return showServerVerdict(reply.data);
      return show({ result: "error", note: errorMessage(reply, strings.error) });
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      setReachable(false); // judged here and queued with the same nonce: a request that did arrive counts once
    }
  }
  return scanOffline(scan, checkpoint, entry);
}

function submitCode(raw, source, entry) {
  const code = String(raw || "").replace(/[\r\n\t]/g, "").trim().slice(0, MAX_CODE);
  // Told apart on arrival, not when its turn comes: the first may still be waiting for the server.
  const key = `${$("checkpoint").value}|${state.direction}|${code}`;
  const now = Date.now();
  const repeated = key === state.lastRead.key && now - state.lastRead.at < REPEAT_MS;
  state.lastRead = { key, at: now };
  if (repeated) return chain;
  chain = chain.then(() => handleCode(code, source, entry)).catch((error) => {
    show({ result: "error", note: String(error && error.message ? error.message : error) });
  });
  return chain;
}

// Syncing the queue.

// What the server recorded for a queued scan: the screen still showing it says so; a different verdict is listed.
function sent(scan, server, message, name = scan.code.slice(0, 24)) {
  ui.sent(scan, server);
  if (server !== scan.local_result) state.differences.push({ name, local: scan.local_result, server, message });
}

const { syncNow, probe } = makeSync(api, () => store.queued(slug, state.pairing), {
  onOffline: () => setReachable(false),
  onOnline: () => setReachable(true),
  onRevoked: deviceRevoked,
  async onResult(scan, result, offsetSeconds) {
    const entry = result.attendee && state.index ? state.index.byRegistration.get(result.attendee.registration_id) : null;
    const admitted = result.result === "ok" && result.checkin;
    if (admitted) await rememberCheckin(result.checkin, entry ? entry.ticket_id : scan.ticket_id);
    sent(scan, result.result, result.message, result.attendee ? result.attendee.name : undefined);
    // Admitted offline by this device and still on the screen: the same Undo as online, for what is left of the window.
    if (admitted && !state.kiosk && ui.showing(scan.nonce)) undo.offerSynced(result.checkin, offsetSeconds);
  },
  onRefused: (scan, message) => sent(scan, "error", message),
});

async function syncQueue() {
  refreshStatus(true);
  await syncNow();
  state.queue = await store.queued(slug, state.pairing);
  refreshStatus();
  ui.showDifferences(state.differences);
}

async function ping() {
  if (state.revoked || !navigator.onLine) return refreshStatus();
  if (state.queue.length) return syncQueue();
  if (online() && Date.now() - state.lastContact < PING_MS) return undefined;
  return probe();
}

// Search, by name or desk code: the API while online, the roster otherwise.

async function search(query) {
  const q = query.trim();
  if (q.length < 2) return ui.renderSearch([], "", pick);
  const checkpoint = currentCheckpoint();
  const zone = state.data ? state.data.event.timezone : page.dataset.zone;
  if (online()) {
    try {
      const reply = await api.get(`/attendees?q=${encodeURIComponent(q)}`, 5000);
      if (reply.ok) {
        const { results, truncated } = reply.data;
        const marked = results.map((e) => ({ ...e, mark: searchMark(e, e.checkins, checkpoint, { zone }) }));
        return ui.renderSearch(marked, results.length ? "" : strings.no_results, pick, truncated);
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      setReachable(false);
    }
  }
  if (!state.index) return ui.renderSearch([], strings.no_data, pick);
  const { shown, truncated } = searchOffline(state, q, checkpoint, zone, SEARCH_LIMIT);
  return ui.renderSearch(shown, shown.length ? strings.search_offline : strings.no_results, pick, truncated);
}

function pick(entry) {
  if (entry.mark === "cancelled") return;
  ui.renderSearch([], "", pick);
  $("search").value = "";
  submitCode(entry.code, "search", state.index ? state.index.byTicket.get(entry.ticket_id) || entry : entry);
}

// Camera, wiring.

async function toggleCamera(on = !camera.running) {
  store.remember(slug, "camera", on ? "1" : "0");
  const running = await camera.toggle(on, state.kiosk ? "user" : "environment");
  if (running) page.dataset.camera = "on";
  else if (on) ui.notice(strings.camera_failed);
}

function wire() {
  const field = $("code");
  $("code-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = field.value;
    field.value = "";
    submitCode(value, "scan");
  });
  // A handheld scanner types into whatever has focus: keep it on the scanner field.
  document.addEventListener("click", (event) => {
    unlockSound();
    if (!event.target.closest("input, select, button, a, label, textarea")) field.focus();
  });
  document.addEventListener("keydown", unlockSound, { once: true });
  $("checkpoint").addEventListener("change", () => {
    store.remember(slug, "checkpoint", $("checkpoint").value);
    showDirection();
    field.focus();
  });
  for (const button of document.querySelectorAll("[data-direction]")) {
    button.addEventListener("click", () => {
      state.direction = button.dataset.direction;
      showDirection();
      field.focus();
    });
  }
  let searchTimer = null;
  $("search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search($("search").value), 300);
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    search($("search").value);
  });
  $("undo").addEventListener("click", () => undo.send());
  $("camera-toggle").addEventListener("click", () => toggleCamera());
  $("sync-now").addEventListener("click", syncQueue);
  $("differences-clear").addEventListener("click", () => {
    state.differences = [];
    ui.showDifferences([]);
  });
  $("result").addEventListener("click", () => ui.resetResult());
  window.addEventListener("online", ping);
  window.addEventListener("offline", () => refreshStatus());
  setInterval(ping, PING_MS);
  setInterval(() => online() && refreshBootstrap(), REFRESH_MS);
}

async function main() {
  registerServiceWorker(page);
  const saved = store.loadToken(slug);
  state.pairing = saved ? store.pairingOf(saved.token) : null;
  await showNotSent();
  if (!saved) return store.remember(slug, "revoked") === "1" ? showRevoked() : ui.show("unpaired");
  state.token = saved.token;
  ui.show("station");
  page.classList.toggle("kiosk", state.kiosk);
  const cached = await store.getBootstrap(slug);
  state.recent = await store.recent(slug);
  state.queue = await store.queued(slug, state.pairing);
  if (cached) useBootstrap(cached);
  refreshStatus();
  wire();
  $("code").focus();
  await refreshBootstrap();
  if (!state.data && !state.revoked) ui.notice(strings.no_data);
  if (state.queue.length && online()) await syncQueue();
  if (!state.revoked && (state.kiosk || store.remember(slug, "camera") === "1")) toggleCamera(true);
  page.dataset.ready = "1";
  return undefined;
}

main();
