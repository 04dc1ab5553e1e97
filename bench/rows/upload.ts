import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { bareCopyFile, settle, warmPageCache } from '../bare.js';
import type { BenchContext, Row } from '../context.js';
import { mbps, median, mib, secs } from '../measure.js';
import { memoryOf, resetPeakMemory } from '../service.js';

const MIN_SHARE = 0.5;
const MAX_PEAK_BYTES = 150 * 1e6;

async function sha256(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads the stored file back through the download endpoint and compares it with the original. */
async function sameContent(ctx: BenchContext, videoId: string, file: string): Promise<boolean> {
  const res = await fetch(`${ctx.api.base}/api/videos/${videoId}/download`, { signal: AbortSignal.timeout(10 * 60_000) });
  if (!res.ok || !res.body) return false;
  const [served, original] = await Promise.all([sha256(Readable.fromWeb(res.body as never)), sha256(createReadStream(file))]);
  return served === original;
}

export const uploadRow: Row = {
  key: 'upload',
  title: 'upload of the 2 GB file',
  target: `≥ ${MIN_SHARE}× cp throughput, API peak RSS ≤ 150 MB`,
  timeoutMs: 30 * 60_000,
  async measure(ctx: BenchContext) {
    const file = ctx.media.big;
    const { size } = await stat(file);
    await warmPageCache(file);
    const cp: number[] = [];
    const service: number[] = [];
    const peaks: number[] = [];
    const sizesOk: boolean[] = [];
    let peakIsPerRun = true;
    let kept: string | undefined;
    for (let i = 0; i < ctx.runs; i++) {
      await settle();
      cp.push(await bareCopyFile(file, ctx.scratch));
      await settle();
      peakIsPerRun = resetPeakMemory(ctx.service.api.pid) && peakIsPerRun;
      const { video, seconds } = await ctx.api.upload(file, path.join(ctx.scratch, 'upload-response.json'), 20 * 60_000);
      service.push(seconds);
      peaks.push(memoryOf(ctx.service.api.pid).peakBytes);
      sizesOk.push(video.sizeBytes === size && video.status === 'ready');
      ctx.log(`  run ${i + 1}: cp ${secs(cp[i]!)}, upload ${secs(seconds)}, API peak ${mib(peaks[i]!)}`);
      if (kept !== undefined) await ctx.api.deleteVideo(kept);
      kept = video.id;
    }
    ctx.shared.bigVideoId = kept;
    const contentOk = kept !== undefined && (await sameContent(ctx, kept, file));
    const exact = sizesOk.every(Boolean) && contentOk;
    const cpRate = mbps(size, median(cp));
    const serviceRate = mbps(size, median(service));
    const share = serviceRate / cpRate;
    const peak = Math.max(...peaks);
    return {
      service: `${serviceRate.toFixed(0)} MB/s (${secs(median(service))}) · peak RSS ${(peak / 1e6).toFixed(0)} MB${peakIsPerRun ? '' : ' (since start)'} · ${exact ? 'exact ✓ (size + sha256)' : 'NOT exact'}`,
      beside: `cp ${cpRate.toFixed(0)} MB/s (${secs(median(cp))})`,
      verdict: `${share.toFixed(2)}× cp · peak ${(peak / 1e6).toFixed(0)} MB`,
      pass: share >= MIN_SHARE && peak <= MAX_PEAK_BYTES && exact,
      exact,
      data: { sizeBytes: size, cpSec: cp, serviceSec: service, peakRssBytes: peaks, peakIsPerRun, share, sizesOk, contentOk },
    };
  },
};
