import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Sql } from 'postgres';
import { checkAccurateTrim, checkCopyTrim, firstDifference, readFrameNumbers } from '../../test/helpers/frame-code.js';
import type { SoakState } from './clients.js';
import type { SoakApi } from './http.js';
import { FPS, type SourceClip } from './media.js';

export interface JobRow {
  id: string;
  type: 'trim' | 'concat';
  status: string;
  params: any;
  input_video_ids: string[];
  output_video_id: string;
  attempts: number;
  progress: number;
  error: string | null;
  method: string | null;
}

export interface VideoRow {
  id: string;
  kind: string;
  status: string;
  storage_key: string | null;
}

export const FINAL = ['completed', 'failed', 'cancelled'];

export async function loadJobs(admin: Sql): Promise<JobRow[]> {
  return admin<JobRow[]>`SELECT id, type, status, params, input_video_ids, output_video_id, attempts, progress, error, method FROM jobs`;
}

export async function loadVideos(admin: Sql): Promise<VideoRow[]> {
  return admin<VideoRow[]>`SELECT id, kind, status, storage_key FROM videos`;
}

export interface ExactnessFailure {
  jobId: string;
  type: string;
  mode?: string;
  /** How the service made it (stream-copy, reencode, smart-cut, concat-copy, concat-filter…). */
  method: string | null;
  params: unknown;
  inputs: string[];
  note: string;
}

export interface Verification {
  jobsByStatus: Record<string, number>;
  jobsByType: Record<string, number>;
  attempts: Record<string, number>;
  lost: string[];
  stranded: { id: string; status: string; attempts: number }[];
  unknownToClients: number;
  inconsistent: { jobId: string; what: string }[];
  tmpFiles: string[];
  /** For each file left in tmp/: the job it belongs to and how that job ended. */
  tmpDetail: { file: string; job: string | null; attempt: number | null; jobStatus: string | null; jobAttempts: number | null }[];
  videosUnreferenced: string[];
  /** For each unreferenced file: whose output it is and what became of that job (a loser's key, a crash's leftover…). */
  unreferencedDetail: { file: string; videoId: string; attempt: string | null; job: string | null; jobStatus: string | null; jobAttempts: number | null; videoStatus: string | null; videoKey: string | null }[];
  videosMissing: string[];
  exactness: { checked: number; accurateTrims: number; copyTrims: number; concats: number; checkedByMethod: Record<string, number>; failuresByMethod: Record<string, number>; failures: ExactnessFailure[] };
  overlongCompleted: string[];
  inputErrorRetried: string[];
  /** From the outbox (when there is one): jobs announced completed more than once, and undelivered hand-offs. */
  outbox: { present: boolean; completedTwice: { jobId: string; times: number }[]; undispatched: number; eventsByType: Record<string, number> };
}

async function outboxFigures(admin: Sql): Promise<Verification['outbox']> {
  const present = (await admin<{ present: boolean }[]>`SELECT to_regclass('outbox') IS NOT NULL AS present`)[0]!.present;
  if (!present) return { present, completedTwice: [], undispatched: 0, eventsByType: {} };
  const twice = await admin<{ subject_id: string; n: number }[]>`
    SELECT subject_id, count(*)::int AS n FROM outbox WHERE type = 'job.completed' GROUP BY subject_id HAVING count(*) > 1`;
  const n = (await admin<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox WHERE dispatch AND dispatched_at IS NULL`)[0]!.n;
  const types = await admin<{ type: string; n: number }[]>`SELECT type, count(*)::int AS n FROM outbox GROUP BY type ORDER BY type`;
  return { present, completedTwice: twice.map((t) => ({ jobId: t.subject_id, times: t.n })), undispatched: n, eventsByType: Object.fromEntries(types.map((t) => [t.type, t.n])) };
}

/**
 * The end state, once every job is final: each job the clients recorded is there and final, each
 * completed job's output is ready, whole and exact, and the storage holds exactly the ready videos.
 */
export async function verify(admin: Sql, api: SoakApi, state: SoakState, clips: SourceClip[], storageDir: string, checkDir: string, log: (m: string) => void): Promise<Verification> {
  const jobs = await loadJobs(admin);
  const videos = await loadVideos(admin);
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const videoById = new Map(videos.map((v) => [v.id, v]));
  const tally = (xs: string[]) => xs.reduce<Record<string, number>>((acc, x) => ((acc[x] = (acc[x] ?? 0) + 1), acc), {});

  const inconsistent: Verification['inconsistent'] = [];
  for (const j of jobs) {
    const out = videoById.get(j.output_video_id);
    if (j.status === 'completed') {
      if (!out || out.status !== 'ready' || !out.storage_key) inconsistent.push({ jobId: j.id, what: `completed, its output video is ${out ? `${out.status} (key ${out.storage_key})` : 'gone'}` });
      if (j.progress !== 100) inconsistent.push({ jobId: j.id, what: `completed with progress ${j.progress}` });
    } else if (FINAL.includes(j.status) && out?.status === 'ready') {
      inconsistent.push({ jobId: j.id, what: `${j.status}, but its output video is ready` });
    }
  }

  const tmpFiles = await readdir(path.join(storageDir, 'tmp')).catch(() => []);
  const stored = new Set(await readdir(path.join(storageDir, 'videos')).catch(() => [] as string[]));
  const readyKeys = new Set(videos.filter((v) => v.status === 'ready' && v.storage_key).map((v) => v.storage_key!));
  const videosUnreferenced = [...stored].filter((f) => !readyKeys.has(f));
  const videosMissing = [...readyKeys].filter((k) => !stored.has(k));
  const jobOfOutput = new Map(jobs.map((j) => [j.output_video_id, j]));
  const unreferencedDetail = videosUnreferenced.map((file) => {
    const [videoId = '', attempt = null] = file.split('.');
    const j = jobOfOutput.get(videoId);
    const vid = videoById.get(videoId);
    return { file, videoId, attempt: file.split('.').length > 2 ? attempt : null, job: j?.id ?? null, jobStatus: j?.status ?? null, jobAttempts: j?.attempts ?? null, videoStatus: vid?.status ?? null, videoKey: vid?.storage_key ?? null };
  });

  // Frame numbers of every video a check needs: uploads from their source file, the rest downloaded.
  const frames = new Map<string, Promise<(number | null)[]>>();
  const sourceFrames = new Map<string, Promise<(number | null)[]>>();
  const framesOf = (videoId: string): Promise<(number | null)[]> => {
    let p = frames.get(videoId);
    if (!p) {
      const clip = state.uploads.get(videoId);
      if (clip) {
        let s = sourceFrames.get(clip.name);
        if (!s) sourceFrames.set(clip.name, (s = readFrameNumbers(clip.file)));
        p = s;
      } else {
        p = (async () => {
          const d = await api.download(videoId);
          if (d.status !== 200) throw new Error(`download of ${videoId} answered ${d.status}`);
          const file = path.join(checkDir, `${videoId}.bin`);
          await writeFile(file, d.bytes);
          return readFrameNumbers(file);
        })();
      }
      frames.set(videoId, p);
    }
    return p;
  };

  const failures: ExactnessFailure[] = [];
  const completed = jobs.filter((j) => j.status === 'completed');
  const counts = { checked: 0, accurateTrims: 0, copyTrims: 0, concats: 0 };
  const overlongCompleted: string[] = [];
  const check = async (j: JobRow): Promise<void> => {
    const fail = (note: string): void => void failures.push({ jobId: j.id, type: j.type, mode: j.params?.mode, method: j.method, params: j.params, inputs: j.input_video_ids, note });
    try {
      const got = await framesOf(j.output_video_id);
      counts.checked += 1;
      if (got.some((n) => n === null)) return fail(`${got.filter((n) => n === null).length} of ${got.length} frames do not read as a frame code`);
      if (j.type === 'trim') {
        const input = j.input_video_ids[0]!;
        const clip = state.uploads.get(input);
        if (!clip) {
          if (state.jobs.get(j.id)?.overlong) overlongCompleted.push(j.id);
          return;
        }
        const { start, end, mode } = j.params as { start: number; end: number; mode: 'accurate' | 'copy' };
        const src = await framesOf(input);
        const r = mode === 'copy' ? checkCopyTrim(got, start, end, FPS, clip.gopFrames) : checkAccurateTrim(got, start, end, FPS);
        if (mode === 'copy') counts.copyTrims += 1;
        else counts.accurateTrims += 1;
        // The source itself must read as 0, 1, 2, …: otherwise the check above means nothing.
        if (!src.every((n, i) => n === i)) return fail(`the source ${clip.name} does not read as consecutive frames`);
        if (!r.exact) fail(`${mode} trim ${start}–${end} of ${clip.name}: ${r.note}`);
      } else {
        counts.concats += 1;
        const parts = await Promise.all(j.input_video_ids.map((id) => framesOf(id)));
        const want = parts.flat();
        const at = firstDifference(got, want);
        if (got.length !== want.length || at >= 0) {
          fail(`concat of ${parts.map((p) => p.length).join('+')} = ${want.length} frames: got ${got.length}${at >= 0 ? `, first difference at output frame ${at} (got ${got[at]}, want ${want[at]})` : ''}`);
        }
      }
    } catch (err) {
      fail(`could not check: ${(err as Error).message}`);
    }
  };
  log(`checking the frames of ${completed.length} completed outputs`);
  const queue = [...completed];
  await Promise.all(
    [0, 1].map(async () => {
      for (let j = queue.shift(); j; j = queue.shift()) await check(j);
    }),
  );

  const known = new Set(state.jobs.keys());
  return {
    jobsByStatus: tally(jobs.map((j) => j.status)),
    jobsByType: tally(jobs.map((j) => j.type)),
    attempts: tally(jobs.map((j) => String(j.attempts))),
    lost: [...known].filter((id) => !byId.has(id)),
    stranded: jobs.filter((j) => !FINAL.includes(j.status)).map((j) => ({ id: j.id, status: j.status, attempts: j.attempts })),
    unknownToClients: jobs.filter((j) => !known.has(j.id)).length,
    inconsistent,
    tmpFiles,
    tmpDetail: tmpFiles.map((file) => {
      const m = /^job-([0-9a-f-]{36})\.(\d+)\./.exec(file);
      const j = m ? byId.get(m[1]!) : undefined;
      return { file, job: m?.[1] ?? null, attempt: m ? Number(m[2]) : null, jobStatus: j?.status ?? null, jobAttempts: j?.attempts ?? null };
    }),
    videosUnreferenced,
    unreferencedDetail,
    videosMissing,
    exactness: { ...counts, checkedByMethod: tally(completed.map((j) => j.method ?? '?')), failuresByMethod: tally(failures.map((f) => f.method ?? '?')), failures },
    overlongCompleted,
    outbox: await outboxFigures(admin),
    // An input error fails at once: one attempt per run (the first, and one per client retry).
    inputErrorRetried: jobs.filter((j) => state.jobs.get(j.id)?.overlong && j.status === 'failed' && j.attempts > 1 + state.jobs.get(j.id)!.retried).map((j) => j.id),
  };
}
