/** Talking to the API: fetch for JSON, tus (resumable, over XMLHttpRequest) for uploads. */
import { Upload } from 'tus-js-client';

const KEY_STORAGE = 'video-jobs.apiKey';

export class ApiError extends Error {
  /** @param {number} status @param {string} detail */
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** @type {() => void} */
let onUnauthorized = () => {};

/** @param {() => void} fn called whenever the API answers 401 */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/** @param {Record<string, string>} extra */
function headers(extra = {}) {
  const key = sessionStorage.getItem(KEY_STORAGE);
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

/** @param {Response | XMLHttpRequest} res @param {string} text */
function problemDetail(text, fallback) {
  try {
    const body = JSON.parse(text);
    if (body && typeof body.detail === 'string') return body.detail;
  } catch {
    /* not a problem document */
  }
  return fallback;
}

/**
 * @template T
 * @param {string} path
 * @param {{ method?: string, body?: unknown }} [opts]
 * @returns {Promise<T>}
 */
export async function api(path, opts = {}) {
  const init = { method: opts.method ?? 'GET', headers: headers(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }) };
  if (opts.body !== undefined) init.body = JSON.stringify(opts.body);
  const res = await fetch(path, init);
  if (res.status === 401) {
    onUnauthorized();
    throw new ApiError(401, 'The server needs its API key.');
  }
  if (!res.ok) throw new ApiError(res.status, problemDetail(await res.text(), res.statusText));
  return res.status === 204 ? undefined : res.json();
}

/**
 * Keeps the key for this tab only, and asks the server for the cookie that lets EventSource,
 * <video> and <img> in (they cannot send a header; a key in their URLs would end up in logs).
 * @param {string} key
 */
export async function unlock(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
  try {
    await api('/api/session', { method: 'POST' });
  } catch (err) {
    sessionStorage.removeItem(KEY_STORAGE);
    throw err;
  }
}

/** Refreshes the session cookie before it lapses (12 h), while the page stays open. */
export function keepSession() {
  return setInterval(() => {
    if (sessionStorage.getItem(KEY_STORAGE)) api('/api/session', { method: 'POST' }).catch(() => {});
  }, 60 * 60 * 1000);
}

/** Plain words for the refusals an upload can meet. @param {number} status @param {string} detail */
export function uploadRefusal(status, detail) {
  switch (status) {
    case 413:
      return `Too large: the server accepts files up to its MAX_UPLOAD_BYTES limit. (${detail})`;
    case 415:
      return `Not a video the server can read: ${detail}`;
    case 507:
      return `The server is out of disk space; nothing was kept. (${detail})`;
    case 401:
      return 'The server needs its API key.';
    case 0:
      return 'The connection to the server was lost.';
    default:
      return detail || `The server answered ${status}.`;
  }
}

/** Status of a tus request that got an answer; 0 for a lost connection. */
const statusOf = (/** @type {any} */ err) => err?.originalResponse?.getStatus?.() ?? 0;

/**
 * A resumable upload (tus, /api/uploads): a dropped connection is resumed from the server's offset,
 * and so is the same file picked again after a reload (its fingerprint is kept in localStorage).
 * The last PATCH answers the stored video's id in `Video-Id`.
 * @param {File} file
 * @param {(loaded: number, total: number) => void} onProgress
 * @returns {{ done: Promise<import('./types.js').Video>, abort: () => void }}
 */
export function uploadFile(file, onProgress) {
  /** @type {(err: ApiError) => void} */
  let fail = () => {};
  /** @type {Upload} */
  let upload;
  const done = new Promise((resolve, reject) => {
    fail = reject;
    upload = new Upload(file, {
      endpoint: '/api/uploads',
      metadata: { filename: file.name, filetype: file.type },
      headers: headers(),
      retryDelays: [0, 1000, 3000, 5000, 10000],
      removeFingerprintOnSuccess: true,
      // Retry what a retry can fix: a lost connection, a busy or restarting server; not a full disk.
      onShouldRetry: (err) => {
        const status = statusOf(err);
        return status === 0 || status === 409 || status === 423 || (status >= 500 && status !== 507);
      },
      onProgress: (sent, total) => onProgress(sent, total),
      onSuccess: ({ lastResponse }) => {
        const id = lastResponse.getHeader('Video-Id');
        if (!id) return reject(new ApiError(0, 'The server did not say which video it stored.'));
        api(`/api/videos/${id}`).then(resolve, reject);
      },
      onError: (err) => {
        const status = statusOf(err);
        if (status === 401) onUnauthorized();
        const body = /** @type {any} */ (err).originalResponse?.getBody?.() ?? '';
        reject(new ApiError(status, uploadRefusal(status, problemDetail(body, ''))));
      },
    });
    upload.start();
  });
  return {
    done,
    abort: () => {
      // Terminate too: a cancelled upload should not wait on the server for UPLOAD_EXPIRY_HOURS.
      upload.abort(true).catch(() => {});
      fail(new ApiError(-1, 'Cancelled.'));
    },
  };
}

