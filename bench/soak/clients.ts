import type { SoakApi } from './http.js';
import type { SourceClip } from './media.js';
import { sleep, type Random } from './random.js';

export interface RecordedJob {
  jobId: string;
  type: 'trim' | 'concat';
  client: number;
  params: { start: number; end: number; mode: 'accurate' | 'copy' } | Record<string, never>;
  inputVideoIds: string[];
  outputVideoId: string;
  /** A trim asked to end past its (not yet made) input: it should fail, not complete. */
  overlong?: boolean;
  /** Times a client retried it after it failed. */
  retried: number;
}

export interface ClientCounters {
  iterations: number;
  uploads: number;
  trims: number;
  concats: number;
  runCalls: number;
  cancels: number;
  cancelsTooLate: number;
  retries: number;
  downloads: number;
  downloadMismatches: number;
  waitsGivenUp: number;
  /** Answers outside the contract for what was asked (listed in `anomalies`). */
  unexpected: number;
}

export interface SoakState {
  uploads: Map<string, SourceClip>;
  jobs: Map<string, RecordedJob>;
  /** Outputs seen ready: later concats take some of them as inputs. */
  readyOutputs: string[];
  counters: ClientCounters;
  anomalies: { at: string; client: number; what: string }[];
}

export function newState(): SoakState {
  return {
    uploads: new Map(),
    jobs: new Map(),
    readyOutputs: [],
    counters: { iterations: 0, uploads: 0, trims: 0, concats: 0, runCalls: 0, cancels: 0, cancelsTooLate: 0, retries: 0, downloads: 0, downloadMismatches: 0, waitsGivenUp: 0, unexpected: 0 },
    anomalies: [],
  };
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);
const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * One client: uploads a clip, records trims of it and often a concat of those trims before they ran,
 * runs them, sometimes cancels one or retries a failure, waits, downloads the outputs. Until `until`.
 */
export async function runClient(n: number, api: SoakApi, clips: SourceClip[], rnd: Random, state: SoakState, until: () => boolean): Promise<void> {
  const odd = (what: string) => {
    state.counters.unexpected += 1;
    if (state.anomalies.length < 300) state.anomalies.push({ at: new Date().toISOString(), client: n, what });
  };
  const record = (body: any, extra: Partial<RecordedJob> = {}): RecordedJob => {
    const j: RecordedJob = { jobId: body.id, type: body.type, client: n, params: body.params, inputVideoIds: body.inputVideoIds, outputVideoId: body.outputVideoId, retried: 0, ...extra };
    state.jobs.set(j.jobId, j);
    return j;
  };

  while (!until()) {
    state.counters.iterations += 1;
    try {
      const clip = rnd.pick(clips);
      const up = await api.upload(clip.file);
      if (up.status !== 201) {
        odd(`upload ${clip.name}: ${up.status} ${JSON.stringify(up.body).slice(0, 200)}`);
        await sleep(1_000);
        continue;
      }
      state.counters.uploads += 1;
      state.uploads.set(up.body.id, clip);

      const batch: RecordedJob[] = [];
      for (let i = rnd.int(1, 3); i > 0; i--) {
        const mode = rnd.chance(0.3) ? 'copy' : 'accurate';
        const len = rnd.between(0.6, Math.min(6, clip.durationSec - 0.5));
        const start = round2(rnd.between(0, clip.durationSec - len));
        const end = round2(Math.min(clip.durationSec, start + len));
        const r = await api.post(`/api/videos/${up.body.id}/trim`, { start, end, mode });
        if (r.status !== 201) {
          odd(`trim ${start}-${end} ${mode}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
          continue;
        }
        state.counters.trims += 1;
        batch.push(record(r.body));
      }
      const trims = batch.filter((j) => j.type === 'trim');
      if (trims.length > 0 && rnd.chance(0.6)) {
        // Concats of trims that have not run yet, sometimes with the upload or an older output.
        const pool = [...trims.map((t) => t.outputVideoId), up.body.id, ...(state.readyOutputs.length > 0 ? [rnd.pick(state.readyOutputs)] : [])];
        const ids = Array.from({ length: rnd.int(2, 3) }, () => rnd.pick(pool));
        const r = await api.post('/api/videos/concat', { videoIds: ids });
        if (r.status === 201) {
          state.counters.concats += 1;
          batch.push(record(r.body));
        } else if (r.status !== 404) {
          // 404: the older output was deleted meanwhile; nothing does that here, but it would be fine.
          odd(`concat ${ids.join(',')}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        }
      }
      if (trims.length > 0 && rnd.chance(0.08)) {
        // A trim of a trim that has not run, past the end it will have: refused at run time, with no retry.
        const t = trims[0]!;
        const r = await api.post(`/api/videos/${t.outputVideoId}/trim`, { start: 0, end: round2((t.params as { end: number; start: number }).end - (t.params as { start: number }).start + 5), mode: 'accurate' });
        if (r.status === 201) batch.push(record(r.body, { overlong: true }));
        else if (r.status !== 422) odd(`overlong trim: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
      if (batch.length === 0) continue;

      state.counters.runCalls += 1;
      const runAll = rnd.chance(0.2);
      const ran = await api.post('/api/jobs/run', runAll ? {} : { jobIds: batch.map((j) => j.jobId) });
      // 409: another client's "run everything" queued one of ours first.
      if (ran.status !== 202 && ran.status !== 409) odd(`run: ${ran.status} ${JSON.stringify(ran.body).slice(0, 200)}`);
      if (ran.status === 409) await api.post('/api/jobs/run', {});

      if (rnd.chance(0.12)) {
        await sleep(rnd.between(0, 4_000));
        const victim = rnd.pick(batch);
        const c = await api.post(`/api/jobs/${victim.jobId}/cancel`);
        if (c.status === 200) state.counters.cancels += 1;
        else if (c.status === 409) state.counters.cancelsTooLate += 1;
        else odd(`cancel ${victim.jobId}: ${c.status} ${JSON.stringify(c.body).slice(0, 200)}`);
      }

      let finals = await waitAll(api, batch, 120_000);
      if (!finals) {
        state.counters.waitsGivenUp += 1;
        continue;
      }
      const failed = batch.filter((j) => finals!.get(j.jobId)?.status === 'failed');
      if (failed.length > 0 && rnd.chance(0.5)) {
        for (const j of failed) {
          const r = await api.post(`/api/jobs/${j.jobId}/retry`);
          if (r.status === 202) {
            state.counters.retries += 1;
            j.retried += 1;
          }
          else if (r.status !== 409) odd(`retry ${j.jobId}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        }
        finals = await waitAll(api, batch, 120_000);
        if (!finals) {
          state.counters.waitsGivenUp += 1;
          continue;
        }
      }
      for (const j of batch) {
        const f = finals.get(j.jobId);
        if (f?.status !== 'completed') continue;
        const v = await api.get(`/api/videos/${j.outputVideoId}`);
        if (v.status !== 200 || v.body.status !== 'ready') {
          odd(`output ${j.outputVideoId} of completed job ${j.jobId}: ${v.status} ${v.body?.status}`);
          continue;
        }
        const d = await api.download(j.outputVideoId);
        state.counters.downloads += 1;
        if (d.status !== 200 || d.bytes.length !== v.body.sizeBytes) {
          state.counters.downloadMismatches += 1;
          odd(`download ${j.outputVideoId}: ${d.status}, ${d.bytes.length} bytes, record says ${v.body.sizeBytes}`);
        }
        if (!j.overlong) state.readyOutputs.push(j.outputVideoId);
      }
    } catch (err) {
      odd(`client error: ${(err as Error).message}`);
      await sleep(1_000);
    }
  }
}

/** Polls the jobs until each is final; undefined when the deadline passes first. */
async function waitAll(api: SoakApi, jobs: RecordedJob[], timeoutMs: number): Promise<Map<string, any> | undefined> {
  const deadline = Date.now() + timeoutMs;
  const finals = new Map<string, any>();
  while (Date.now() < deadline) {
    for (const j of jobs) {
      if (finals.has(j.jobId)) continue;
      const r = await api.get(`/api/jobs/${j.jobId}`);
      if (r.status === 200 && FINAL.has(r.body.status)) finals.set(j.jobId, r.body);
    }
    if (finals.size === jobs.length) return finals;
    await sleep(400);
  }
  return undefined;
}
