/**
 * Node's timers cannot wait longer than this (about 24.8 days): given a longer
 * delay they log TimeoutOverflowWarning and fire after 1 ms. Every timer whose
 * delay comes from outside (a token's exp, a window, a setting) goes through
 * the helpers below, which wait in steps of at most this long.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
  /** Lets the process exit while only this timer is pending. */
  unref(): LongTimer;
}

/** setTimeout for any delay (Infinity waits for ever): clamps each step and re-arms until the due time. */
export function setLongTimeout(fn: () => void, delayMs: number): LongTimer {
  const dueAt = Date.now() + (Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs));
  let timer: NodeJS.Timeout;
  let unref = false;
  let cleared = false;
  const arm = () => {
    if (cleared) return;
    const left = dueAt - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
    if (unref) timer.unref();
  };
  arm();
  return {
    clear() {
      cleared = true;
      clearTimeout(timer);
    },
    unref() {
      unref = true;
      timer.unref();
      return this;
    },
  };
}

/** setInterval for any period, built on setLongTimeout. */
export function setLongInterval(fn: () => void, periodMs: number): LongTimer {
  let current: LongTimer;
  let unref = false;
  let cleared = false;
  const arm = () => {
    current = setLongTimeout(() => {
      if (cleared) return;
      arm();
      fn();
    }, periodMs);
    if (unref) current.unref();
  };
  arm();
  return {
    clear() {
      cleared = true;
      current.clear();
    },
    unref() {
      unref = true;
      current.unref();
      return this;
    },
  };
}

/** AbortSignal.timeout for any delay; the timer never holds the process open. */
export function longTimeoutSignal(ms: number): AbortSignal {
  if (ms <= MAX_TIMER_MS) return AbortSignal.timeout(ms);
  const controller = new AbortController();
  setLongTimeout(() => controller.abort(new DOMException('The operation timed out.', 'TimeoutError')), ms).unref();
  return controller.signal;
}
