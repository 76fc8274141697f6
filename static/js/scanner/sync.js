// Uploading the queue of offline scans: in batches, in the order they were made, each with its
// nonce so that a batch sent twice (a lost answer, two taps on "send") counts once on the server.

import { dequeue } from "./store.js";
import { NetworkError, errorMessage } from "./net.js";

const BATCH = 100;

// What the API takes of a queued scan (the rest is for this screen).
function wire(scan) {
  const { nonce, code, checkpoint_id, direction, source, scanned_at, local_result } = scan;
  return { nonce, code, checkpoint_id, direction, source, scanned_at, local_result: local_result || null };
}

// queued(): the scans waiting under the current pairing (store.queued);
// hooks: {onResult(scan, result, clockOffsetSeconds), onRefused(scan, message), onOffline(), onRevoked(), onOnline()}
// Returns {syncNow, probe}: probe() sends an empty batch, to learn whether the server is there (and this pairing still stands).
export function makeSync(api, queued, hooks) {
  let running = null;

  // The server's reply, or null when there was none (offline) or the device was unpaired.
  async function post(scans) {
    let reply;
    try {
      reply = await api.post("/scans/sync", { sent_at: new Date().toISOString(), scans: scans.map(wire) }, scans.length ? 30000 : 5000);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      hooks.onOffline();
      return null;
    }
    if (reply.status === 401 || reply.status === 403) {
      hooks.onRevoked();
      return null;
    }
    hooks.onOnline();
    return reply;
  }

  async function upload() {
    let size = BATCH;
    for (;;) {
      const batch = (await queued()).slice(0, size);
      if (!batch.length) return true;
      const reply = await post(batch);
      if (!reply) return false;
      if (!reply.ok) {
        // The server stores nothing of a batch with one bad scan: find it by sending one at a time.
        if (batch.length > 1) {
          size = 1;
          continue;
        }
        await dequeue([batch[0].nonce]);
        hooks.onRefused(batch[0], errorMessage(reply, ""));
        continue;
      }
      const byNonce = new Map(batch.map((scan) => [scan.nonce, scan]));
      const results = (reply.data && reply.data.results) || [];
      const offset = Number(reply.data && reply.data.clock_offset_seconds) || 0; // server minus this device
      for (const result of results) {
        const scan = byNonce.get(result.nonce);
        if (scan) await hooks.onResult(scan, result, offset);
      }
      const answered = results.map((r) => r.nonce).filter((n) => byNonce.has(n));
      await dequeue(answered);
      if (!answered.length) return false; // an answer about none of them: try again later, do not spin
    }
  }

  function syncNow() {
    if (!running) running = upload().finally(() => (running = null));
    return running;
  }

  return { syncNow, probe: () => post([]) };
}
