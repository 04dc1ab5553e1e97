import type { Harness } from './harness.js';

type Json = Record<string, any>;

export async function upload(h: Harness, file: string, filename?: string): Promise<Json> {
  const res = await h.api.post('/api/videos').attach('file', file, filename ? { filename } : undefined);
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function trim(h: Harness, videoId: string, body: Json): Promise<Json> {
  const res = await h.api.post(`/api/videos/${videoId}/trim`).send(body);
  if (res.status !== 201) throw new Error(`trim failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function concat(h: Harness, videoIds: string[]): Promise<Json> {
  const res = await h.api.post('/api/videos/concat').send({ videoIds });
  if (res.status !== 201) throw new Error(`concat failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function run(h: Harness, jobIds?: string[]): Promise<string[]> {
  const res = await h.api.post('/api/jobs/run').send(jobIds ? { jobIds } : {});
  if (res.status !== 202) throw new Error(`run failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.queued;
}

const FINAL = ['completed', 'failed', 'cancelled'];

/** Polls the API until the job reaches one of `statuses` (a final state by default). */
export async function waitForJob(h: Harness, jobId: string, statuses: string[] = FINAL, timeoutMs = 30_000): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  let last: Json = {};
  while (Date.now() < deadline) {
    const res = await h.api.get(`/api/jobs/${jobId}`);
    last = res.body;
    if (statuses.includes(last.status)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not reach ${statuses.join('|')} in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

export async function download(h: Harness, videoId: string): Promise<Buffer> {
  const res = await h.api.get(`/api/videos/${videoId}/download`).buffer(true).parse((r, cb) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => cb(null, Buffer.concat(chunks)));
  });
  if (res.status !== 200) throw new Error(`download failed: ${res.status}`);
  return res.body as Buffer;
}
