import { useRef, useState } from 'preact/hooks';
import { uploadFile } from '../lib/api.js';
import { html } from '../lib/html.js';
import { formatBytes, formatElapsed } from '../lib/time.js';
import { ProgressBar } from './progress-bar.js';

/**
 * @typedef {{ id: number, name: string, size: number, loaded: number, startedAt: number,
 *   state: 'uploading' | 'done' | 'failed' | 'cancelled', message: string, abort: () => void }} Upload
 */

let nextId = 1;

/** File input (several at once) and a drop zone; one progress bar per file, with speed, time left and Cancel. */
export function UploadPanel({ onUploaded }) {
  const [uploads, setUploads] = useState(/** @type {Upload[]} */ ([]));
  const [over, setOver] = useState(false);
  const input = useRef(/** @type {HTMLInputElement | null} */ (null));

  const patch = (/** @type {number} */ id, /** @type {Partial<Upload>} */ p) => setUploads((us) => us.map((u) => (u.id === id ? { ...u, ...p } : u)));

  const start = (/** @type {FileList | File[]} */ files) => {
    for (const file of files) {
      const id = nextId++;
      const { done, abort } = uploadFile(file, (loaded) => patch(id, { loaded }));
      setUploads((us) => [{ id, name: file.name, size: file.size, loaded: 0, startedAt: performance.now(), state: 'uploading', message: '', abort }, ...us]);
      done.then(
        (video) => {
          patch(id, { state: 'done', loaded: file.size, message: 'Uploaded' });
          onUploaded(video);
        },
        (err) => patch(id, { state: err.status === -1 ? 'cancelled' : 'failed', message: err.message }),
      );
    }
  };

  return html`
    <section class="panel" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload</h2>
      <div
        class=${`drop-zone${over ? ' over' : ''}`}
        onDragOver=${(/** @type {DragEvent} */ e) => { e.preventDefault(); setOver(true); }}
        onDragLeave=${() => setOver(false)}
        onDrop=${(/** @type {DragEvent} */ e) => { e.preventDefault(); setOver(false); if (e.dataTransfer?.files.length) start(e.dataTransfer.files); }}
      >
        <label for="upload-input" class="button">Upload video</label>
        <input
          id="upload-input"
          ref=${input}
          class="visually-hidden"
          type="file"
          accept="video/*,.mkv,.mov,.mp4,.webm"
          multiple
          onChange=${(/** @type {Event} */ e) => {
            const el = /** @type {HTMLInputElement} */ (e.currentTarget);
            if (el.files?.length) start([...el.files]);
            el.value = '';
          }}
        />
        <span class="hint">or drop video files here</span>
      </div>
      ${uploads.length > 0 && html`
        <ul class="uploads" aria-label="Uploads">
          ${uploads.map((u) => html`<${UploadRow} key=${u.id} upload=${u} />`)}
        </ul>`}
    </section>
  `;
}

/** @param {{ upload: Upload }} props */
function UploadRow({ upload: u }) {
  const pct = u.size > 0 ? Math.round((u.loaded / u.size) * 100) : 0;
  const seconds = (performance.now() - u.startedAt) / 1000;
  const speed = seconds > 0 ? u.loaded / seconds : 0;
  const left = speed > 0 ? ((u.size - u.loaded) / speed) * 1000 : NaN;
  return html`
    <li class=${`upload ${u.state}`}>
      <div class="row">
        <span class="name">${u.name}</span>
        <span class="muted">${formatBytes(u.size)}</span>
        ${u.state === 'uploading' && html`<button type="button" class="small" onClick=${u.abort} aria-label=${`Cancel upload of ${u.name}`}>Cancel</button>`}
      </div>
      <${ProgressBar} value=${pct} label=${`Upload of ${u.name}`} />
      <div class="row muted">
        ${u.state === 'uploading'
          ? html`<span>${formatBytes(speed)}/s</span><span>${Number.isFinite(left) ? `${formatElapsed(left)} left` : ''}</span>`
          : html`<span role=${u.state === 'failed' ? 'alert' : 'status'} class=${u.state === 'failed' ? 'error' : ''}>${u.state === 'failed' ? `${u.name}: ${u.message}` : u.message}</span>`}
      </div>
    </li>
  `;
}
