// A short beep per verdict, made with WebAudio (no sound files): high for green, two middle
// tones for amber, a long low one for red. Browsers allow sound only after a tap or key press.

let context = null;

export function unlockSound() {
  const AudioContext = window.AudioContext || window.webkitAudioContext;
  if (!AudioContext) return;
  if (!context) context = new AudioContext();
  if (context.state === "suspended") context.resume().catch(() => {});
}

const PATTERNS = {
  green: [[1046, 0, 0.12]],
  amber: [[587, 0, 0.12], [587, 0.18, 0.12]],
  red: [[220, 0, 0.45]],
};

export function beep(colour) {
  if (!context || context.state !== "running") return;
  const start = context.currentTime + 0.01;
  for (const [frequency, offset, length] of PATTERNS[colour] || []) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = colour === "red" ? "square" : "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.3, start + offset + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + length);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start + offset);
    oscillator.stop(start + offset + length + 0.02);
  }
}
