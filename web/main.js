import { render } from 'preact';
import { useCallback, useEffect, useMemo, useReducer, useState } from 'preact/hooks';
import { api, keepSession, whenUnauthorized } from './lib/api.js';
import { html } from './lib/html.js';
import { ApiKeyPrompt } from './components/api-key-prompt.js';
import { ConcatBuilder } from './components/concat-builder.js';
import { JobsPanel } from './components/jobs-panel.js';
import { Library } from './components/library.js';
import { TrimEditor } from './components/trim-editor.js';
import { UploadPanel } from './components/upload-panel.js';
import { videoLabel } from './lib/labels.js';

/**
 * @typedef {import('./lib/types.js').Video} Video
 * @typedef {import('./lib/types.js').Job} Job
 * @typedef {{ videos: Map<string, Video>, jobs: Map<string, Job>, fromEvents: Set<string>, deleted: Set<string> }} State
 * @typedef {{ type: 'video' | 'job', item: Video | Job, live: boolean } | { type: 'video-gone', id: string } | { type: 'reset' }} Action
 */

/** @param {State} s @param {Action} a @returns {State} */
function reducer(s, a) {
  if (a.type === 'reset') return { videos: new Map(), jobs: new Map(), fromEvents: new Set(), deleted: new Set() };
  if (a.type === 'video-gone') {
    const videos = new Map(s.videos);
    videos.delete(a.id);
    return { ...s, videos, deleted: new Set(s.deleted).add(a.id) };
  }
  // The stream announces a deletion with the video as it was: a video deleted here stays gone.
  if (a.type === 'video' && s.deleted.has(a.item.id)) return s;
  // A listing may be older than an event that came in while it was read: events win.
  if (!a.live && s.fromEvents.has(a.item.id)) return s;
  const fromEvents = a.live ? new Set(s.fromEvents).add(a.item.id) : s.fromEvents;
  if (a.type === 'video') return { ...s, fromEvents, videos: new Map(s.videos).set(a.item.id, /** @type {Video} */ (a.item)) };
  return { ...s, fromEvents, jobs: new Map(s.jobs).set(a.item.id, /** @type {Job} */ (a.item)) };
}

/** Pages through a list endpoint (limit ≤ 100). @param {string} path */
async function listAll(path) {
  const items = [];
  for (let offset = 0; ; offset += 100) {
    const page = await api(`${path}?limit=100&offset=${offset}`);
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) return items;
  }
}

function App() {
  const [state, dispatch] = useReducer(reducer, undefined, () => reducer(/** @type {State} */ ({}), { type: 'reset' }));
  const [locked, setLocked] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [live, setLive] = useState('connecting');
  const [editing, setEditing] = useState(/** @type {string | null} */ (null));
  const [concat, setConcat] = useState(/** @type {{ key: number, videoId: string }[]} */ ([]));
  const [loadError, setLoadError] = useState('');

  useEffect(() => {
    whenUnauthorized(() => setLocked(true));
    const t = keepSession();
    return () => clearInterval(t);
  }, []);

  // The event stream opens first, then the lists are read: nothing that changes in between is missed.
  // EventSource reconnects by itself with Last-Event-ID, and the server replays what was missed.
  useEffect(() => {
    if (locked) return undefined;
    const es = new EventSource('/api/events');
    es.onopen = () => setLive('live');
    es.onerror = () => setLive(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    es.addEventListener('job', (e) => dispatch({ type: 'job', item: JSON.parse(e.data), live: true }));
    es.addEventListener('video', (e) => dispatch({ type: 'video', item: JSON.parse(e.data), live: true }));
    Promise.all([listAll('/api/videos'), listAll('/api/jobs')])
      .then(([videos, jobs]) => {
        setLoadError('');
        for (const v of videos) dispatch({ type: 'video', item: v, live: false });
        for (const j of jobs) dispatch({ type: 'job', item: j, live: false });
      })
      .catch((err) => {
        if (err.status !== 401) setLoadError(`Could not load the library: ${err.message}`);
      });
    return () => es.close();
  }, [locked, generation]);

  const label = useCallback((/** @type {string} */ id) => videoLabel(id, state.videos, state.jobs), [state.videos, state.jobs]);
  const videos = useMemo(() => [...state.videos.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)), [state.videos]);
  const jobs = useMemo(() => [...state.jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)), [state.jobs]);
  const editingVideo = editing ? state.videos.get(editing) : undefined;

  const upsertJob = (/** @type {Job} */ job) => dispatch({ type: 'job', item: job, live: false });
  const upsertVideo = (/** @type {Video} */ v) => dispatch({ type: 'video', item: v, live: false });

  return html`
    <header class="top">
      <h1>Video jobs studio</h1>
      <p class="live" role="status">${live === 'live' ? 'Live updates on' : live === 'connecting' ? 'Connecting…' : 'Reconnecting to live updates…'}</p>
    </header>
    ${locked && html`<${ApiKeyPrompt} onUnlocked=${() => { dispatch({ type: 'reset' }); setLocked(false); setGeneration((g) => g + 1); }} />`}
    ${loadError && html`<p class="error" role="alert">${loadError}</p>`}
    <main class="layout">
      <div class="column">
        <${UploadPanel} onUploaded=${upsertVideo} />
        <${Library}
          videos=${videos}
          label=${label}
          onTrim=${(/** @type {string} */ id) => setEditing(id)}
          onAddToConcat=${(/** @type {string} */ id) => setConcat((c) => [...c, { key: Date.now() + Math.random(), videoId: id }])}
          onDeleted=${(/** @type {string} */ id) => {
            dispatch({ type: 'video-gone', id });
            if (editing === id) setEditing(null);
            setConcat((c) => c.filter((i) => i.videoId !== id));
          }}
        />
      </div>
      <div class="column">
        ${editingVideo && html`<${TrimEditor} key=${editingVideo.id} video=${editingVideo} label=${label(editingVideo.id)} onClose=${() => setEditing(null)} onRecorded=${upsertJob} />`}
        <${ConcatBuilder} items=${concat} setItems=${setConcat} videos=${state.videos} label=${label} onRecorded=${upsertJob} />
        <${JobsPanel} jobs=${jobs} label=${label} videos=${state.videos} onChanged=${upsertJob} />
      </div>
    </main>
  `;
}

render(html`<${App} />`, /** @type {HTMLElement} */ (document.getElementById('app')));
