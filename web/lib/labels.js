import { formatClock } from './time.js';

/**
 * A name a person recognises, also for outputs that have none yet: "Trim of a.mp4 (…)".
 * @param {string} id
 * @param {Map<string, import('./types.js').Video>} videos
 * @param {Map<string, import('./types.js').Job>} jobs
 * @returns {string}
 */
export function videoLabel(id, videos, jobs, depth = 0) {
  const v = videos.get(id);
  if (v?.originalName) return v.originalName;
  const job = v?.sourceJobId ? jobs.get(v.sourceJobId) : [...jobs.values()].find((j) => j.outputVideoId === id);
  if (!job || depth > 3) return v ? `${v.kind} ${id.slice(0, 8)}` : `video ${id.slice(0, 8)}`;
  return jobLabel(job, videos, jobs, depth + 1);
}

/** @param {import('./types.js').Job} job @param {Map<string, import('./types.js').Video>} videos @param {Map<string, import('./types.js').Job>} jobs */
export function jobLabel(job, videos, jobs, depth = 0) {
  const names = job.inputVideoIds.map((i) => videoLabel(i, videos, jobs, depth + 1));
  if (job.type === 'trim') {
    const { start = 0, end = 0, mode = 'accurate' } = job.params;
    return `Trim of ${names[0]} (${formatClock(start)}–${formatClock(end)}, ${mode})`;
  }
  return `Concat of ${names.join(' + ')}`;
}
