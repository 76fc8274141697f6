// Camera scanning: the browser's BarcodeDetector where it has one for QR codes, else the
// vendored decoder (qr-scanner's build of jsQR) in a same-origin worker. The same code seen
// again while it stays in front of the camera (or within DEBOUNCE_MS of it) counts once.

const DEBOUNCE_MS = 2000;
const INTERVAL_MS = 150;
const MAX_SIDE = 720;

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch {
    return null;
  }
}

function workerDecoder(url) {
  const worker = new Worker(url);
  const pending = new Map();
  let next = 0;
  worker.onmessage = (event) => {
    const { id, data } = event.data || {};
    const resolve = pending.get(id);
    if (resolve) {
      pending.delete(id);
      resolve(data || null);
    }
  };
  worker.postMessage({ type: "inversionMode", data: "both" }); // printed and on-screen (dark) codes
  return {
    decode(image) {
      const id = ++next;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        worker.postMessage({ id, type: "decode", data: image }, [image.data.buffer]);
      });
    },
    close() {
      worker.terminate();
      for (const resolve of pending.values()) resolve(null);
      pending.clear();
    },
  };
}

export async function startCamera(video, onCode, { workerUrl, facingMode = "environment" }) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: { ideal: facingMode }, width: { ideal: 1280 }, height: { ideal: 720 } },
  });
  video.srcObject = stream;
  video.muted = true;
  video.setAttribute("playsinline", "");
  await video.play();

  const detector = await nativeDetector();
  const decoder = detector ? null : workerDecoder(workerUrl);
  const canvas = document.createElement("canvas");
  const context2d = canvas.getContext("2d", { willReadFrequently: true });
  let lastCode = "";
  let lastSeen = 0;
  let running = true;
  let timer = null;

  async function readFrame() {
    if (!video.videoWidth) return null;
    if (detector) {
      const found = await detector.detect(video);
      return found.length ? found[0].rawValue : null;
    }
    const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context2d.drawImage(video, 0, 0, canvas.width, canvas.height);
    return decoder.decode(context2d.getImageData(0, 0, canvas.width, canvas.height));
  }

  async function tick() {
    if (!running) return;
    try {
      const code = await readFrame();
      if (code && running) {
        const now = Date.now();
        const repeated = code === lastCode && now - lastSeen < DEBOUNCE_MS;
        lastCode = code;
        lastSeen = now;
        if (!repeated) onCode(code);
      }
    } catch {
      // a frame that could not be read: try the next one
    }
    if (running) timer = setTimeout(tick, INTERVAL_MS);
  }
  tick();

  return function stop() {
    running = false;
    clearTimeout(timer);
    if (decoder) decoder.close();
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
}

// The start/stop button of the scanning page: toggle(on, facingMode) resolves to whether the camera runs.
export function cameraSwitch(video, button, onCode, workerUrl) {
  let stop = null;
  return {
    get running() {
      return Boolean(stop);
    },
    async toggle(on, facingMode = "environment") {
      if (stop) {
        stop();
        stop = null;
      }
      video.hidden = !on;
      button.textContent = on ? button.dataset.stop : button.dataset.start;
      if (!on) return false;
      try {
        stop = await startCamera(video, onCode, { workerUrl, facingMode });
        return true;
      } catch {
        video.hidden = true;
        button.textContent = button.dataset.start;
        return false;
      }
    },
  };
}
