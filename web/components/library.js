import { useRef, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { formatBytes, formatDuration } from '../lib/time.js';

const KINDS = ['upload', 'trim', 'concat'];
const STATUSES = ['pending', 'processing', 'ready', 'failed'];

/**
 * Every video, uploads and the outputs of recorded commands, newest first, with filters.
 * @param {{ videos: import('../lib/types.js').Video[], label: (id: string) => string, onTrim: (id: string) => void,
 *   onAddToConcat: (id: string) => void, onDeleted: (id: string) => void }} props
 */
export function Library({ videos, label, onTrim, onAddToConcat, onDeleted }) {
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const [confirming, setConfirming] = useState(/** @type {string | null} */ (null));
  const [error, setError] = useState('');
  const dialog = useRef(/** @type {HTMLDialogElement | null} */ (null));
  const shown = videos.filter((v) => (!kind || v.kind === kind) && (!status || v.status === status));

  const askDelete = (/** @type {string} */ id) => {
    setConfirming(id);
    setError('');
    dialog.current?.showModal();
  };
  const remove = async () => {
    const id = confirming;
    dialog.current?.close();
    if (!id) return;
    try {
      await api(`/api/videos/${id}`, { method: 'DELETE' });
      onDeleted(id);
    } catch (err) {
      setError(`Could not delete ${label(id)}: ${err.message}`);
    }
  };

  return html`
    <section class="panel" aria-labelledby="library-title">
      <h2 id="library-title">Library</h2>
      <div class="filters">
        <label>Kind <select value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}>
          <option value="">All</option>${KINDS.map((k) => html`<option value=${k}>${k}</option>`)}
        </select></label>
        <label>Status <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
          <option value="">All</option>${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select></label>
      </div>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${videos.length === 0
        ? html`<p class="empty">No videos yet: upload one.</p>`
        : shown.length === 0
          ? html`<p class="empty">No video matches these filters.</p>`
          : html`<ul class="library" aria-label="Videos">
              ${shown.map((v) => html`<${VideoItem} key=${v.id} video=${v} name=${label(v.id)} onTrim=${onTrim} onAddToConcat=${onAddToConcat} onDelete=${askDelete} />`)}
            </ul>`}
      <dialog ref=${dialog} aria-labelledby="delete-title" onClose=${() => setConfirming(null)}>
        <h3 id="delete-title">Delete ${confirming ? label(confirming) : ''}?</h3>
        <p>The record and its file are removed; this cannot be undone.</p>
        <div class="row">
          <button type="button" class="danger" onClick=${remove}>Yes, delete</button>
          <button type="button" onClick=${() => dialog.current?.close()}>Keep it</button>
        </div>
      </dialog>
    </section>
  `;
}

function VideoItem({ video: v, name, onTrim, onAddToConcat, onDelete }) {
  const ready = v.status === 'ready';
  const resolution = v.width && v.height ? `${v.width}×${v.height}` : '—';
  const codecs = v.videoCodec ? `${v.videoCodec}${v.audioCodec ? ` + ${v.audioCodec}` : ', no audio'}` : '—';
  return html`
    <li class="video" aria-labelledby=${`name-${v.id}`}>
      <div class="poster">
        ${ready ? html`<img src=${`/api/videos/${v.id}/thumbnail?width=160`} alt=${name} width="160" height="90" loading="lazy" />` : html`<span class="muted">${v.status}</span>`}
      </div>
      <div class="details">
        <h3 class="name" id=${`name-${v.id}`}>${name}</h3>
        <p class="meta">
          <span class=${`badge status-${v.status}`}>${v.status}</span>
          <span class="badge">${v.kind}</span>
          <span>${formatDuration(v.durationSec)}</span>
          <span>${formatBytes(v.sizeBytes)}</span>
          <span>${resolution}</span>
          <span>${codecs}</span>
        </p>
        <div class="actions">
          ${ready && html`<button type="button" onClick=${() => onTrim(v.id)}>Trim</button>`}
          ${v.status !== 'failed' && html`<button type="button" onClick=${() => onAddToConcat(v.id)}>Add to concat</button>`}
          ${ready && v.downloadUrl && html`<a class="button" href=${v.downloadUrl} download>Download</a>`}
          <button type="button" class="danger" onClick=${() => onDelete(v.id)}>Delete</button>
        </div>
      </div>
    </li>
  `;
}
