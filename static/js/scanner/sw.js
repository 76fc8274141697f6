// The scanning page's service worker (served at /scan/sw.js, scope /scan/): keeps the page and
// everything it loads, so that a reload without network still scans and keeps its queue.
// Static files: cache first (the version below changes with them). The page: network first,
// falling back to the kept copy. The API is never touched: its failures must reach the page.

const VERSION = "__VERSION__"; // filled in by the server: a digest of the files below
const ASSETS = __ASSETS__;
const STATIC_CACHE = `eventsys-scanner-static-${VERSION}`;
const PAGE_CACHE = "eventsys-scanner-pages";
const PAGE_TIMEOUT_MS = 5000;
const PAGE_PATH = /^\/scan\/[^/]+$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(STATIC_CACHE)
      .then((cache) => cache.addAll(ASSETS.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith("eventsys-scanner-static-") && n !== STATIC_CACHE).map((n) => caches.delete(n))),
      )
      .then(() => self.clients.claim()),
  );
});

async function keepPage(url) {
  const response = await fetch(url, { cache: "no-store", credentials: "same-origin" });
  if (response.ok) await (await caches.open(PAGE_CACHE)).put(url, response);
}

self.addEventListener("message", (event) => {
  const { type, url } = event.data || {};
  if (type !== "keep-page" || new URL(url).origin !== self.location.origin || !PAGE_PATH.test(new URL(url).pathname)) return;
  const reply = () => event.ports[0] && event.ports[0].postMessage({ kept: true });
  event.waitUntil(keepPage(url).then(reply, reply));
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

async function pageNetworkFirst(request) {
  const cache = await caches.open(PAGE_CACHE);
  try {
    const response = await withTimeout(fetch(request), PAGE_TIMEOUT_MS);
    if (response.ok) await cache.put(request.url, response.clone());
    return response;
  } catch (error) {
    const kept = (await cache.match(request.url)) || (await cache.match(request.url, { ignoreSearch: true }));
    if (kept) return kept;
    throw error;
  }
}

async function staticCacheFirst(request) {
  const kept = await caches.match(request, { ignoreSearch: true });
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok && ASSETS.includes(new URL(request.url).pathname)) {
    await (await caches.open(STATIC_CACHE)).put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticCacheFirst(request));
  } else if (request.mode === "navigate" && PAGE_PATH.test(url.pathname)) {
    event.respondWith(pageNetworkFirst(request));
  }
});
