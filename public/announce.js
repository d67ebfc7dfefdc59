// Screen readers hear the live numbers through one polite live region, as one
// sentence, at most every INTERVAL: a badge that moves every second would
// otherwise interrupt whatever the listener is doing all the time. Scan totals,
// which move all day and alarm nobody, are left out.
import { $ } from './dom.js';

const INTERVAL = 30_000;
const ORDER = { failures: '', jobs: '', dead: '' };
let parts = { ...ORDER };
let spoken = '';
let lastAt = 0;
let timer = null;

function speak() {
  timer = null;
  const sentence = Object.values(parts).filter(Boolean).join(' ');
  if (sentence === spoken) return;
  spoken = sentence;
  lastAt = Date.now();
  $('announcer').textContent = sentence;
}

/** Sets one part of the summary ('failures', 'jobs', …); the sentence is spoken soon, once. */
export function announce(key, text) {
  if (parts[key] === text) return;
  parts[key] = text;
  if (timer) return;
  // The first numbers after sign-in are spoken once they have all arrived; later ones are spaced out.
  timer = setTimeout(speak, Math.max(1000, lastAt + INTERVAL - Date.now()));
}

export function resetAnnouncer() {
  clearTimeout(timer);
  timer = null;
  parts = { ...ORDER };
  spoken = '';
  lastAt = 0;
  $('announcer').textContent = '';
}
