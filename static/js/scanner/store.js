// What the scanner keeps on the device: the device token (localStorage, per event), and in
// IndexedDB the last bootstrap, the queue of scans waiting for upload (each marked with the
// pairing it was made under) and the check-ins made here since that bootstrap.

const DB_NAME = "eventsys-scanner";
const DB_VERSION = 1;

export function tokenKey(slug) {
  return `eventsys.scanner.token.${slug}`;
}

export function loadToken(slug) {
  try {
    const saved = JSON.parse(localStorage.getItem(tokenKey(slug)) || "null");
    return saved && saved.token ? saved : null;
  } catch {
    return null;
  }
}

export function saveToken(slug, token) {
  localStorage.setItem(tokenKey(slug), JSON.stringify({ token, saved_at: new Date().toISOString() }));
  localStorage.removeItem(`eventsys.scanner.revoked.${slug}`); // paired again: no longer the unpaired phone
}

export function forgetToken(slug) {
  localStorage.removeItem(tokenKey(slug));
}

export function remember(slug, name, value) {
  const key = `eventsys.scanner.${name}.${slug}`;
  if (value === undefined) return localStorage.getItem(key);
  localStorage.setItem(key, String(value));
  return value;
}

let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("bootstrap", { keyPath: "slug" });
        db.createObjectStore("queue", { keyPath: "nonce" }).createIndex("slug", "slug");
        db.createObjectStore("recent", { keyPath: "key" }).createIndex("slug", "slug");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(storeName, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    let result;
    Promise.resolve(work(tx.objectStore(storeName))).then((value) => {
      result = value;
    }, reject);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export function getBootstrap(slug) {
  return run("bootstrap", "readonly", (store) => done(store.get(slug)));
}

export function putBootstrap(slug, data) {
  return run("bootstrap", "readwrite", (store) => done(store.put({ ...data, slug, fetched_at: new Date().toISOString() })));
}

// Which pairing a token is (not the token itself): a scan queued under one pairing is never sent with another's token.
export function pairingOf(token) {
  let a = 0x811c9dc5;
  let b = 5381;
  for (const char of String(token)) {
    const code = char.charCodeAt(0);
    a = Math.imul(a ^ code, 0x01000193) >>> 0;
    b = (Math.imul(b, 33) + code) >>> 0;
  }
  return `${a.toString(16)}.${b.toString(16)}`;
}

function queuedAll(slug) {
  return run("queue", "readonly", (store) => done(store.index("slug").getAll(slug))).then((rows) =>
    rows.sort((a, b) => (a.scanned_at < b.scanned_at ? -1 : 1)),
  );
}

// The scans waiting to be sent under this pairing (one queued before scans were marked: the pairing then in place).
export async function queued(slug, pairing) {
  if (!pairing) return [];
  return (await queuedAll(slug)).filter((r) => (r.pairing || pairing) === pairing);
}

// The scans of an earlier pairing, unpaired before they were sent: never sent, only shown (until cleared).
export async function notSent(slug, pairing) {
  return (await queuedAll(slug)).filter((r) => (pairing ? r.pairing && r.pairing !== pairing : true));
}

export function enqueue(scan) {
  return run("queue", "readwrite", (store) => done(store.put(scan)));
}

export function dequeue(nonces) {
  return run("queue", "readwrite", (store) => Promise.all(nonces.map((n) => done(store.delete(n)))));
}

// Check-ins learnt since the bootstrap: {key, slug, kind: "checkin"|"undone", ...}.
export function recent(slug) {
  return run("recent", "readonly", (store) => done(store.index("slug").getAll(slug)));
}

export function addRecent(slug, row) {
  return run("recent", "readwrite", (store) => done(store.put({ ...row, slug, added: Date.now() })));
}

// After a fresh bootstrap: what it already holds (everything learnt before it was asked for) goes.
export function pruneRecent(slug, before) {
  return run("recent", "readwrite", async (store) => {
    const rows = await done(store.index("slug").getAll(slug));
    await Promise.all(rows.filter((r) => r.added < before).map((r) => done(store.delete(r.key))));
  });
}
