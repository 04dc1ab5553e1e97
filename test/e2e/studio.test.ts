import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { liveProcessCount } from '../../src/media/runner.js';
import { FFPROBE, makeClip, runTool } from '../helpers/media.js';
import { OUTPUT_DIR, startStudio, type Studio } from './studio-harness.js';

/**
 * The studio in real Chromium against the real app, worker, PostgreSQL, Redis and FFmpeg. Every
 * wait is a poll with a deadline (Playwright's auto-waiting expectations); nothing sleeps.
 */

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const DEADLINE = 45_000;

let studio: Studio;
let dir: string;
let clipA: string;
let clipB: string;
let slowClip: string;

/** Job commands (the ones that report -progress) read their input at native speed, so a running job stays running long enough to cancel. */
async function nativeSpeedFfmpeg(into: string): Promise<string> {
  const file = path.join(into, 'ffmpeg-native-speed.sh');
  await writeFile(file, '#!/bin/sh\ncase " $* " in *" -progress "*) exec ffmpeg -re "$@" ;; *) exec ffmpeg "$@" ;; esac\n');
  await chmod(file, 0o755);
  return file;
}

async function ffprobeCounts(file: string): Promise<{ duration: number; frames: number }> {
  const r = await runTool(FFPROBE, ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames:format=duration', '-of', 'json', file]);
  const json = JSON.parse(r.stdout.toString()) as { streams: { nb_read_frames: string }[]; format: { duration: string } };
  return { duration: Number(json.format.duration), frames: Number(json.streams[0]!.nb_read_frames) };
}

function failureScreenshots(name: string) {
  onTestFailed(async () => {
    await studio.screenshot(`failed-${name}`).catch(() => {});
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vj-e2e-'));
  // 25 fps, a keyframe every second: keyframes at 0, 1 and 2 s.
  clipA = await makeClip(dir, { name: 'clip-a.mp4', durationSec: 3, gop: 25 });
  clipB = await makeClip(dir, { name: 'clip-b.mp4', durationSec: 3, gop: 25 });
  slowClip = await makeClip(dir, { name: 'long-clip.mp4', durationSec: 30, gop: 50 });
  studio = await startStudio({ env: { FFMPEG_PATH: await nativeSpeedFfmpeg(dir) } });
  await studio.page.goto('/');
}, 120_000);

afterAll(async () => {
  await studio?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the studio page', () => {
  it('when nothing is uploaded yet, then the library says so and the page passes an axe check', async () => {
    failureScreenshots('empty');
    const { page } = studio;
    await expect.poll(() => page.getByText('No videos yet: upload one.').isVisible(), { timeout: DEADLINE }).toBe(true);
    await expect.poll(() => page.getByText('Live updates on').isVisible(), { timeout: DEADLINE }).toBe(true);
    await studio.screenshot('01-empty');
    expect(await seriousViolations(studio)).toEqual([]);
  });

  it('when a file that is not a video is uploaded, then its refusal is shown in plain words', async () => {
    failureScreenshots('refused');
    const { page } = studio;
    const notes = path.join(dir, 'notes.txt');
    await writeFile(notes, 'these are not frames\n'.repeat(100));
    await page.getByLabel('Upload video').setInputFiles(notes);
    const alert = page.getByRole('alert').filter({ hasText: 'notes.txt' });
    await alert.waitFor({ timeout: DEADLINE });
    expect(await alert.textContent()).toContain('Not a video the server can read');
    const listed = await studio.harness.api.get('/api/videos');
    expect(listed.body.total).toBe(0);
    // The page uploads with tus: the refusal came on the last PATCH of a resumable upload.
    const uploads = await studio.harness.infra.sql<{ status: string; originalName: string; errorCode: string }[]>`SELECT status, original_name, error_code FROM resumable_uploads`;
    expect(uploads).toEqual([{ status: 'failed', originalName: 'notes.txt', errorCode: 'unsupported_media' }]);
  });

  it('when two clips are trimmed (typed and by keyboard), joined and run, then progress reaches 100 % live and the download has the expected frames', async () => {
    failureScreenshots('flow');
    const { page } = studio;
    // Upload both clips at once through the file input.
    await page.getByLabel('Upload video').setInputFiles([clipA, clipB]);
    for (const name of ['clip-a.mp4', 'clip-b.mp4']) {
      const bar = page.getByRole('progressbar', { name: `Upload of ${name}` });
      await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: DEADLINE }).toBe('100');
      await page.getByRole('listitem', { name, exact: true }).getByRole('link', { name: 'Download' }).waitFor({ timeout: DEADLINE });
    }
    await expect.poll(() => page.getByRole('listitem', { name: 'clip-a.mp4', exact: true }).getByRole('img', { name: 'clip-a.mp4' }).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: DEADLINE }).toBe(160);
    await studio.screenshot('02-library');

    // Trim A by typing Start and End.
    await page.getByRole('listitem', { name: 'clip-a.mp4', exact: true }).getByRole('button', { name: 'Trim', exact: true }).click();
    await page.getByText('3 keyframes').waitFor({ timeout: DEADLINE });
    await page.getByLabel('Start', { exact: true }).fill('0.4');
    await page.getByLabel('End', { exact: true }).fill('00:00:02.000');
    await page.getByRole('button', { name: 'Add trim' }).click();
    await page.getByRole('status').filter({ hasText: 'Trim recorded' }).waitFor({ timeout: DEADLINE });

    // Trim B with the keyboard on the timeline: I at 0, Shift+→ twice (keyframes 1 and 2 s), → and ← (one frame each way), O.
    await page.getByRole('listitem', { name: 'clip-b.mp4', exact: true }).getByRole('button', { name: 'Trim', exact: true }).click();
    await page.getByRole('heading', { name: 'Trim clip-b.mp4' }).waitFor();
    await page.getByText('3 keyframes').waitFor({ timeout: DEADLINE });
    await page.getByRole('heading', { name: 'Trim clip-b.mp4' }).click();
    await page.keyboard.press('i');
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByText(/^Playhead/).textContent()).toContain('00:00:02.040');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('o');
    expect(await page.getByLabel('Start', { exact: true }).inputValue()).toBe('00:00:00.000');
    expect(await page.getByLabel('End', { exact: true }).inputValue()).toBe('00:00:02.000');
    await studio.screenshot('03-trim-editor');
    await page.getByRole('button', { name: 'Add trim' }).click();
    await page.getByRole('status').filter({ hasText: 'Trim recorded' }).waitFor({ timeout: DEADLINE });

    // Concat the two pending trim outputs: B's first, then A's moved up.
    const trimOf = (clip: string) => page.getByRole('listitem', { name: new RegExp(`^Trim of ${clip}`) });
    await trimOf('clip-b.mp4').getByRole('button', { name: 'Add to concat' }).click();
    await trimOf('clip-a.mp4').getByRole('button', { name: 'Add to concat' }).click();
    const order = page.getByRole('list', { name: 'Concat order' }).getByRole('listitem');
    await expect.poll(() => order.count()).toBe(2);
    await order.nth(1).getByRole('button', { name: 'Move up' }).click();
    await expect.poll(() => order.nth(0).textContent()).toContain('Trim of clip-a.mp4');
    expect(await order.nth(0).textContent()).toContain('decided when run');
    await studio.screenshot('04-concat');
    await page.getByRole('button', { name: 'Add concat' }).click();
    await page.getByRole('status').filter({ hasText: 'Concat of 2 videos recorded' }).waitFor({ timeout: DEADLINE });

    // Run: the button says how many; the page learns of every change over SSE only.
    const run = page.getByRole('button', { name: 'Run 3 pending jobs' });
    await run.click();
    const bars = page.getByRole('list', { name: 'Job list' }).getByRole('progressbar');
    await expect.poll(() => bars.count()).toBe(3);
    await expect
      .poll(async () => (await bars.evaluateAll((els) => els.map((e) => e.getAttribute('aria-valuenow')))).join(), { timeout: 90_000 })
      .toBe('100,100,100');
    await expect.poll(() => page.getByRole('list', { name: 'Job list' }).getByText('completed', { exact: true }).count()).toBe(3);
    await studio.screenshot('05-jobs-done');

    // The finished concat appears in the library with its Download link; its file has 1.6 s + 2 s of frames.
    const concat = page.getByRole('listitem', { name: /^Concat of/ });
    const link = concat.getByRole('link', { name: 'Download' });
    await link.waitFor({ timeout: DEADLINE });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const saved = path.join(dir, 'concat-download.mp4');
    await download.saveAs(saved);
    const { duration, frames } = await ffprobeCounts(saved);
    expect(frames).toBeGreaterThanOrEqual(89);
    expect(frames).toBeLessThanOrEqual(91);
    expect(Math.abs(duration - 3.6)).toBeLessThanOrEqual(0.1);

    const jobs = (await studio.harness.api.get('/api/jobs')).body.items as { status: string; progress: number }[];
    expect(jobs.map((j) => [j.status, j.progress])).toEqual([['completed', 100], ['completed', 100], ['completed', 100]]);
  }, 180_000);

  it('when the page is filled and the editor open, then axe finds no serious or critical violation, also on a phone screen', async () => {
    failureScreenshots('axe');
    const { page } = studio;
    await page.getByRole('listitem', { name: 'clip-a.mp4', exact: true }).getByRole('button', { name: 'Trim', exact: true }).click();
    await page.getByText('3 keyframes').waitFor({ timeout: DEADLINE });
    expect(await seriousViolations(studio)).toEqual([]);

    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await studio.screenshot('06-phone');
    expect(await seriousViolations(studio)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Close editor' }).click();
  });

  it('when a video is deleted, then the page asks first and the video leaves the library and the server', async () => {
    failureScreenshots('delete');
    const { page } = studio;
    const item = page.getByRole('listitem', { name: 'clip-b.mp4', exact: true });
    await item.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete clip-b.mp4?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    expect(await item.count()).toBe(1);
    // clip-b is an input of a finished job: deleting it is allowed.
    await item.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Yes, delete' }).click();
    await expect.poll(() => item.count(), { timeout: DEADLINE }).toBe(0);
    const names = ((await studio.harness.api.get('/api/videos')).body.items as { originalName: string | null }[]).map((v) => v.originalName);
    expect(names).not.toContain('clip-b.mp4');
  });

  it('when a running job is cancelled from the page, then it shows cancelled and its FFmpeg is gone', async () => {
    failureScreenshots('cancel');
    const { page } = studio;
    await page.getByLabel('Upload video').setInputFiles(slowClip);
    const item = page.getByRole('listitem', { name: 'long-clip.mp4', exact: true });
    await item.getByRole('button', { name: 'Trim', exact: true }).waitFor({ timeout: DEADLINE });
    await item.getByRole('button', { name: 'Trim', exact: true }).click();
    await page.getByLabel('Mode').selectOption('copy');
    await page.getByLabel('Start', { exact: true }).fill('0');
    await page.getByLabel('End', { exact: true }).fill('29');
    await page.getByRole('button', { name: 'Add trim' }).click();
    await page.getByRole('status').filter({ hasText: 'Trim recorded' }).waitFor({ timeout: DEADLINE });
    await page.getByRole('button', { name: 'Run 1 pending job' }).click();

    const job = page.getByRole('list', { name: 'Job list' }).getByRole('listitem', { name: /^Trim of long-clip\.mp4/ });
    await job.getByText('running', { exact: true }).waitFor({ timeout: DEADLINE });
    await expect.poll(() => liveProcessCount(), { timeout: DEADLINE }).toBeGreaterThan(0);
    await studio.screenshot('07-running');
    await job.getByRole('button', { name: 'Cancel' }).click();
    await job.getByText('cancelled', { exact: true }).waitFor({ timeout: DEADLINE });
    expect(await job.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    await expect.poll(() => liveProcessCount(), { timeout: DEADLINE }).toBe(0);
    const jobs = (await studio.harness.api.get('/api/jobs?status=cancelled')).body.items as { type: string }[];
    expect(jobs).toHaveLength(1);
    expect(studio.pageErrors).toEqual([]);
    expect(await readFile(path.join(OUTPUT_DIR, '05-jobs-done.png')).then((b) => b.length)).toBeGreaterThan(1000);
  }, 120_000);
});

async function seriousViolations(s: Studio): Promise<string[]> {
  const source = await readFile(AXE_SOURCE, 'utf8');
  // evaluate, not a <script> tag: the page's CSP (rightly) refuses inline scripts.
  await s.page.evaluate(source);
  const violations = await s.page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.targets.join(', ')}`);
}
