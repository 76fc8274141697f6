// Undo of a check-in this device made: offered on its verdict while the server's window lasts, and sent to the API.
// The window is the server's (scanning.undo_checkin): counted from the scan's time, for online and offline scans
// alike, so an admission made offline gets its Undo once it is synced, for what is left of the window then.

import { NetworkError, errorMessage } from "./net.js";

// hooks: {minutes() (the window, from the synced data), onUndone(checkinId, undoneId) after the server took back undoneId}
export function makeUndo(api, ui, strings, hooks) {
  let checkinId = null;
  let timer = null;

  function offer(id, ms) {
    clearTimeout(timer);
    checkinId = id;
    timer = setTimeout(() => ui.hideUndo(), ms);
  }

  return {
    // The verdict on the screen is an admission just made online: the whole window.
    offer(id) {
      offer(id, hooks.minutes() * 60000);
    },
    // A queued scan the server admitted at its sync, its verdict still on the screen: until the server's
    // checkin.undo_until, read on the server's clock (offsetSeconds: server minus this device, measured by the sync).
    offerSynced(checkin, offsetSeconds) {
      const left = Date.parse(checkin.undo_until) - (Date.now() + offsetSeconds * 1000);
      if (!(left > 0)) return;
      ui.showUndo();
      offer(checkin.id, left);
    },
    async send() {
      const id = checkinId;
      if (!id) return;
      try {
        const reply = await api.post(`/checkins/${id}/undo`, {}, 5000);
        if (reply.ok) {
          checkinId = null;
          clearTimeout(timer);
          await hooks.onUndone(id, (reply.data && reply.data.checkin_id) || id); // another id: the scan's movement recorded again later
          return;
        }
        ui.notice(errorMessage(reply, strings.undo_failed));
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        ui.notice(strings.undo_failed);
      }
    },
  };
}
