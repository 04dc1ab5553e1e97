import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';

/**
 * Whether the service will stream-copy the join of a and b (same codecs, size, rate, audio) or
 * re-encode it; undecided while either is not made yet.
 * @param {import('../lib/types.js').Video | undefined} a @param {import('../lib/types.js').Video | undefined} b
 */
export function joinMethod(a, b) {
  if (!a || !b || a.status !== 'ready' || b.status !== 'ready') return { text: 'decided when run', kind: 'unknown' };
  const same = a.videoCodec === b.videoCodec && a.width === b.width && a.height === b.height && a.fps === b.fps && a.audioCodec === b.audioCodec;
  return same ? { text: 'copied', kind: 'copy' } : { text: 're-encoded', kind: 'reencode' };
}

/** The ordered inputs of a concat: Move up/Move down, drag and drop, and a badge per join. */
export function ConcatBuilder({ items, setItems, videos, label, onRecorded }) {
  const [dragged, setDragged] = useState(/** @type {number | null} */ (null));
  const [message, setMessage] = useState(/** @type {{ kind: 'ok' | 'error', text: string } | null} */ (null));
  const [busy, setBusy] = useState(false);

  const move = (/** @type {number} */ from, /** @type {number} */ to) => {
    if (to < 0 || to >= items.length) return;
    const next = [...items];
    const [it] = next.splice(from, 1);
    next.splice(to, 0, it);
    setItems(next);
  };
  const record = async () => {
    setBusy(true);
    try {
      const job = await api('/api/videos/concat', { method: 'POST', body: { videoIds: items.map((i) => i.videoId) } });
      onRecorded(job);
      setItems([]);
      setMessage({ kind: 'ok', text: `Concat of ${items.length} videos recorded (pending). Press Run in Jobs to make it.` });
    } catch (err) {
      setMessage({ kind: 'error', text: `The concat was refused: ${err.message}` });
    } finally {
      setBusy(false);
    }
  };

  return html`
    <section class="panel" aria-labelledby="concat-title">
      <h2 id="concat-title">Concat</h2>
      ${items.length === 0
        ? html`<p class="empty">Nothing to join yet: press “Add to concat” on two or more videos.</p>`
        : html`<ol class="concat" aria-label="Concat order">
            ${items.map((item, i) => html`
              <li
                key=${item.key}
                class=${`concat-item${dragged === i ? ' dragging' : ''}`}
                draggable="true"
                onDragStart=${(/** @type {DragEvent} */ e) => { setDragged(i); e.dataTransfer?.setData('text/plain', String(i)); }}
                onDragOver=${(/** @type {DragEvent} */ e) => e.preventDefault()}
                onDrop=${(/** @type {DragEvent} */ e) => { e.preventDefault(); if (dragged !== null) move(dragged, i); setDragged(null); }}
                onDragEnd=${() => setDragged(null)}
              >
                <div class="row">
                  <span class="grip" aria-hidden="true">⠿</span>
                  <span class="name">${i + 1}. ${label(item.videoId)}</span>
                  <span class="actions">
                    <button type="button" class="small" disabled=${i === 0} onClick=${() => move(i, i - 1)}>Move up</button>
                    <button type="button" class="small" disabled=${i === items.length - 1} onClick=${() => move(i, i + 1)}>Move down</button>
                    <button type="button" class="small" onClick=${() => setItems(items.filter((_, j) => j !== i))}>Remove</button>
                  </span>
                </div>
                ${i < items.length - 1 && (() => {
                  const j = joinMethod(videos.get(item.videoId), videos.get(items[i + 1].videoId));
                  return html`<p class=${`join ${j.kind}`}>Join ${i + 1}→${i + 2}: ${j.text}</p>`;
                })()}
              </li>`)}
          </ol>`}
      <div class="row">
        <button type="button" class="primary" disabled=${busy || items.length < 2} onClick=${record}>Add concat</button>
        ${items.length > 0 && html`<button type="button" onClick=${() => setItems([])}>Clear</button>`}
      </div>
      ${message && html`<p class=${message.kind === 'error' ? 'error' : 'ok'} role=${message.kind === 'error' ? 'alert' : 'status'}>${message.text}</p>`}
    </section>
  `;
}
