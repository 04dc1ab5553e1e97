import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL, startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { envSharing, startService, type ServiceProcess } from '../helpers/processes.js';

let h: Harness;
let media: string;
const procs: ServiceProcess[] = [];

beforeAll(async () => {
  h = await startHarness({ worker: false });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

interface SlowUpload {
  /** Sends the rest of the body. */
  finish(): void;
  response: Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string } | { error: string }>;
}

/** A multipart upload of `file` whose first half is sent now and the rest only when asked. */
async function slowUpload(port: number, file: string): Promise<SlowUpload> {
  const data = await readFile(file);
  const boundary = `----vj${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.mp4"\r\nContent-Type: video/mp4\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, data, tail]);
  const half = Math.floor(body.length / 2);
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/videos',
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length },
  });
  const response = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string } | { error: string }>((resolve) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('error', (err) => resolve({ error: err.message }));
  });
  req.write(body.subarray(0, half));
  return { finish: () => req.end(body.subarray(half)), response };
}

describe('the API stopped with SIGTERM while requests are in flight', () => {
  it('when an upload finishes within the grace time, then it is stored; when one cannot, then it is cut and leaves no temp file', async () => {
    const api = startService('src/server.ts', { ...envSharing(h, TEST_DATABASE_URL), PORT: '0', SHUTDOWN_GRACE_MS: '3000' });
    procs.push(api);
    const ready = await api.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('ready at'));
    const port = Number(/localhost:(\d+)/.exec(ready.msg as string)![1]);
    const clip = await makeClip(media, { durationSec: 2, width: 160, height: 120, fps: 25, audio: true });

    const finishing = await slowUpload(port, clip);
    const stalled = await slowUpload(port, clip);
    const tmp = path.join(h.storageDir, 'tmp');
    const deadline = Date.now() + 10_000;
    while ((await readdir(tmp)).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await readdir(tmp)).length).toBe(2);

    api.child.kill('SIGTERM');
    await api.waitForLog((l) => l.msg === 'shutting down');
    finishing.finish();

    const done = await finishing.response;
    expect('status' in done && done.status).toBe(201);
    expect('headers' in done && done.headers.connection).toBe('close');
    const video = JSON.parse((done as { body: string }).body);
    expect((await h.api.get(`/api/videos/${video.id}`)).body.status).toBe('ready');

    const cut = await stalled.response;
    expect('error' in cut || cut.status >= 400).toBe(true);
    const exitBy = Date.now() + 20_000;
    while (api.child.exitCode === null && Date.now() < exitBy) await new Promise((r) => setTimeout(r, 50));
    expect(api.child.exitCode).toBe(0);
    expect(await readdir(tmp)).toEqual([]);
    expect((await readdir(path.join(h.storageDir, 'videos'))).filter((f) => !f.startsWith(video.id))).toEqual([]);
  });
});
