import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { jobLabel } from '../lib/labels.js';
import { formatElapsed } from '../lib/time.js';
import { ProgressBar } from './progress-bar.js';

const UNFINISHED = ['pending', 'queued', 'in_progress'];
const STATUS_WORDS = { pending: 'pending', queued: 'queued', in_progress: 'running', completed: 'completed', failed: 'failed', cancelled: 'cancelled' };

/** Run, and the live list of jobs (kept current by the page's EventSource). */
export function JobsPanel({ jobs, videos, onChanged }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [, tick] = useState(0);
  const pending = jobs.filter((j) => j.status === 'pending').length;
  const running = jobs.some((j) => j.status === 'in_progress');
  const jobMap = new Map(jobs.map((j) => [j.id, j]));

  useEffect(() => {
    if (!running) return undefined;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [running]);

  const act = async (/** @type {() => Promise<unknown>} */ fn) => {
    setError('');
    try {
      await fn();
    } catch (err) {
      setError(err.message);
    }
  };
  const run = () => {
    setBusy(true);
    act(() => api('/api/jobs/run', { method: 'POST', body: {} })).finally(() => setBusy(false));
  };

  return html`
    <section class="panel" aria-labelledby="jobs-title">
      <h2 id="jobs-title">Jobs</h2>
      <div class="row">
        <button type="button" class="primary" disabled=${busy || pending === 0} onClick=${run}>
          ${pending === 0 ? 'Run (nothing pending)' : `Run ${pending} pending ${pending === 1 ? 'job' : 'jobs'}`}
        </button>
      </div>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${jobs.length === 0
        ? html`<p class="empty">No jobs yet: add a trim or a concat.</p>`
        : html`<ul class="jobs" aria-label="Job list">
            ${jobs.map((j) => {
              const name = jobLabel(j, videos, jobMap);
              const started = j.startedAt ? Date.parse(j.startedAt) : null;
              const elapsed = started ? (j.finishedAt ? Date.parse(j.finishedAt) : Date.now()) - started : null;
              return html`
                <li key=${j.id} class=${`job status-${j.status}`} aria-labelledby=${`job-${j.id}`}>
                  <div class="row">
                    <span class="name" id=${`job-${j.id}`}>${name}</span>
                    <span class=${`badge status-${j.status}`}>${STATUS_WORDS[j.status]}</span>
                  </div>
                  <${ProgressBar} value=${j.progress} label=${`Progress of ${name}`} />
                  <p class="meta">
                    ${j.method && html`<span>method ${j.method}</span>`}
                    ${elapsed !== null && html`<span>${formatElapsed(elapsed)}</span>`}
                    ${j.attempts > 1 && html`<span>attempt ${j.attempts}</span>`}
                  </p>
                  ${j.error && html`<p class="error">${j.error}</p>`}
                  <div class="actions">
                    ${UNFINISHED.includes(j.status) && html`<button type="button" class="small" onClick=${() => act(async () => onChanged(await api(`/api/jobs/${j.id}/cancel`, { method: 'POST' })))}>Cancel</button>`}
                    ${j.status === 'failed' && html`<button type="button" class="small" onClick=${() => act(async () => onChanged(await api(`/api/jobs/${j.id}/retry`, { method: 'POST' })))}>Retry</button>`}
                  </div>
                </li>`;
            })}
          </ul>`}
    </section>
  `;
}
