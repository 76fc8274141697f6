// Calls to the scanner API with the device's bearer token. A request that gets no answer (no
// network, a timeout, a proxy's 5xx) throws NetworkError: the caller then works offline.

export class NetworkError extends Error {}

export function newNonce() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function makeApi(base, getToken) {
  async function call(method, path, body, timeout = 6000) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers: {
          Authorization: `Bearer ${getToken()}`,
          Accept: "application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "same-origin", // the session cookie only chooses the language of the API's messages
        signal: controller.signal,
      });
    } catch (error) {
      throw new NetworkError(String(error));
    } finally {
      clearTimeout(timer);
    }
    if (response.status >= 500) throw new NetworkError(`HTTP ${response.status}`);
    let data = null;
    try {
      data = await response.json();
    } catch {
      if (response.ok) throw new NetworkError("not JSON"); // a captive portal's page, not our API
    }
    return { status: response.status, ok: response.ok, data };
  }
  return {
    get: (path, timeout) => call("GET", path, undefined, timeout),
    post: (path, body, timeout) => call("POST", path, body, timeout),
  };
}

export function errorMessage(reply, fallback) {
  return (reply && reply.data && reply.data.error && reply.data.error.message) || fallback;
}
