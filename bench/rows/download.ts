import { stat } from 'node:fs/promises';
import path from 'node:path';
import { curlDownload } from '../api.js';
import { bareCat, settle, warmPageCache } from '../bare.js';
import type { BenchContext, Row } from '../context.js';
import { mbps, median, secs } from '../measure.js';
import { startReferenceServer } from '../reference.js';
import { memoryOf, resetPeakMemory } from '../service.js';

const MIN_SHARE = 0.5;
// "Flat": the API holds no more than this above where it started while streaming 2 GB.
const MAX_GROWTH_BYTES = 64 * 2 ** 20;

const mb = (b: number): string => `${(b / 1e6).toFixed(0)}`;

export const downloadRow: Row = {
  key: 'download',
  title: 'download of the 2 GB file',
  target: `≥ ${MIN_SHARE}× cat throughput, flat RSS`,
  timeoutMs: 20 * 60_000,
  async measure(ctx: BenchContext) {
    const file = ctx.media.big;
    const { size } = await stat(file);
    if (ctx.shared.bigVideoId === undefined) {
      ctx.shared.bigVideoId = (await ctx.api.upload(file, path.join(ctx.scratch, 'upload-response.json'), 20 * 60_000)).video.id;
    }
    const videoId = ctx.shared.bigVideoId;
    await settle();
    await warmPageCache(file);
    const cat: number[] = [];
    const plain: number[] = [];
    const service: number[] = [];
    const memory: { before: number; after: number; peak: number }[] = [];
    const complete: boolean[] = [];
    const reference = await startReferenceServer(file);
    try {
      for (let i = 0; i < ctx.runs; i++) {
        const got = await curlDownload(reference.url, '/dev/null', 10 * 60_000);
        if (got.bytes !== size) throw new Error(`reference server sent ${got.bytes} of ${size} bytes`);
        plain.push(got.seconds);
      }
    } finally {
      await reference.stop();
    }
    for (let i = 0; i < ctx.runs; i++) {
      cat.push(await bareCat(file));
      const pid = ctx.service.api.pid;
      const before = memoryOf(pid).rssBytes;
      const perRunPeak = resetPeakMemory(pid);
      const got = await ctx.api.download(videoId, '/dev/null', 10 * 60_000);
      const after = memoryOf(pid);
      memory.push({ before, after: after.rssBytes, peak: perRunPeak ? after.peakBytes : Number.NaN });
      service.push(got.seconds);
      complete.push(got.status === '200' && got.bytes === size);
      ctx.log(`  run ${i + 1}: cat ${secs(cat[i]!)}, download ${secs(got.seconds)}, RSS ${mb(before)}→${mb(after.rssBytes)} MB`);
    }
    const exact = complete.every(Boolean);
    const catRate = mbps(size, median(cat));
    const serviceRate = mbps(size, median(service));
    const share = serviceRate / catRate;
    const plainRate = mbps(size, median(plain));
    const growth = Math.max(...memory.map((m) => (Number.isNaN(m.peak) ? m.after : m.peak) - m.before));
    const first = memory[0]!;
    const last = memory.at(-1)!;
    return {
      service: `${serviceRate.toFixed(0)} MB/s (${secs(median(service))}) · API RSS ${mb(first.before)}→${mb(last.after)} MB, peak +${mb(Math.max(0, growth))} MB · ${exact ? 'exact ✓ (all bytes)' : 'NOT exact'}`,
      beside: `cat ${catRate.toFixed(0)} MB/s (${secs(median(cat))}) · for reference, plain node:http ${plainRate.toFixed(0)} MB/s`,
      verdict: `${share.toFixed(2)}× cat · RSS +${mb(Math.max(0, growth))} MB`,
      pass: share >= MIN_SHARE && growth <= MAX_GROWTH_BYTES && exact,
      exact,
      data: { sizeBytes: size, catSec: cat, plainNodeHttpSec: plain, serviceSec: service, memory, share, complete },
    };
  },
};
