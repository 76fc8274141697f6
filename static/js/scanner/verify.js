// Ticket tokens checked on the device, as eventsys/registration/tickets.py makes them:
// base32 (RFC 4648, no padding) of payload (11 bytes: version, event id, ticket id, serial;
// big-endian) + an Ed25519 signature over "eventsys ticket\n" + payload.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const TOKEN_RE = /^[A-Z2-7]{120}$/;
const PREFIX = new TextEncoder().encode("eventsys ticket\n");
const PAYLOAD_BYTES = 11;
// Desk codes like "K7P-4QX" (the same alphabet as tickets.CODE_ALPHABET).
const CODE_RE = /^[ACDEFGHJKMNPQRTUVWXY34679]{3}-[ACDEFGHJKMNPQRTUVWXY34679]{3}$/;

export function isToken(text) {
  return TOKEN_RE.test(text);
}

export function normalizeDeskCode(text) {
  const chars = String(text || "").replace(/[^0-9A-Za-z]/g, "").toUpperCase();
  const code = chars.length === 6 ? `${chars.slice(0, 3)}-${chars.slice(3)}` : "";
  return CODE_RE.test(code) ? code : "";
}

function base32Decode(text) {
  const out = new Uint8Array((text.length * 5) >> 3);
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of text) {
    value = (value << 5) | ALPHABET.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      out[index++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}

export function base64urlDecode(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

// The claims of a well-formed token (signature not yet checked), or null.
export function decodeToken(text) {
  if (!isToken(text)) return null;
  const raw = base32Decode(text);
  const view = new DataView(raw.buffer);
  return {
    version: view.getUint8(0),
    eventId: view.getUint32(1),
    ticketId: view.getUint32(5),
    serial: view.getUint16(9),
    payload: raw.slice(0, PAYLOAD_BYTES),
    signature: raw.slice(PAYLOAD_BYTES),
  };
}

function signedMessage(payload) {
  const message = new Uint8Array(PREFIX.length + payload.length);
  message.set(PREFIX);
  message.set(payload, PREFIX.length);
  return message;
}

let webCryptoWorks = null; // learned on first use: true, or false (then the vendored library)
let noble = null;

async function verifyWithWebCrypto(publicKey, signature, message) {
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

async function verifyWithNoble(publicKey, signature, message, libraryUrl) {
  if (!noble) noble = await import(libraryUrl);
  try {
    return await noble.verifyAsync(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

// True when the token is signed by the event's key. `libraryUrl`: the vendored @noble/ed25519,
// used only where WebCrypto has no Ed25519.
export async function verifySignature(publicKey, claims, libraryUrl) {
  const message = signedMessage(claims.payload);
  if (webCryptoWorks !== false) {
    try {
      const valid = await verifyWithWebCrypto(publicKey, claims.signature, message);
      webCryptoWorks = true;
      return valid;
    } catch (error) {
      if (webCryptoWorks === true) return false; // a bad key, not a missing algorithm
      webCryptoWorks = false;
    }
  }
  return verifyWithNoble(publicKey, claims.signature, message, libraryUrl);
}
