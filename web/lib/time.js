const CLOCK = /^(\d{1,3}):([0-5]\d):([0-5]\d(?:\.\d{1,6})?)$/;

/**
 * Seconds from what a person types: `12.5` or `HH:MM:SS(.mmm)`, as the API accepts them.
 * @param {string} text
 * @returns {number | undefined} undefined when it is neither
 */
export function parseTime(text) {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = CLOCK.exec(t);
  if (!m) return undefined;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/** @param {number} s @returns {string} HH:MM:SS.mmm */
export function formatClock(s) {
  const ms = Math.round(Math.max(0, s) * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = (ms % 60_000) / 1000;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${sec.toFixed(3).padStart(6, '0')}`;
}

/** @param {number | null} s @returns {string} e.g. "1:05.2" */
export function formatDuration(s) {
  if (s === null || !Number.isFinite(s)) return '—';
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  return `${m}:${rest.toFixed(1).padStart(4, '0')}`;
}

/** @param {number | null} bytes */
export function formatBytes(bytes) {
  if (bytes === null || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** @param {number} ms */
export function formatElapsed(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
