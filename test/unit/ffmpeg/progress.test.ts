import { describe, expect, it } from 'vitest';
import { createProgressReporter, parseProgressChunk, progressPercent } from '../../../src/media/runner.js';

const BLOCK = [
  'frame=50',
  'fps=0.00',
  'stream_0_0_q=-1.0',
  'bitrate= 753.2kbits/s',
  'total_size=190205',
  'out_time_us=2020136',
  'out_time_ms=2020136',
  'out_time=00:00:02.020136',
  'dup_frames=0',
  'drop_frames=0',
  'speed=55.9x',
  'progress=continue',
  '',
].join('\n');

describe('parseProgressChunk', () => {
  it('reads out_time_us from a complete block', () => {
    expect(parseProgressChunk('', BLOCK)).toEqual({ pending: '', outTimeUs: 2020136, ended: false });
  });

  it('treats out_time_ms as microseconds too', () => {
    expect(parseProgressChunk('', 'out_time_ms=1500000\nprogress=continue\n').outTimeUs).toBe(1500000);
  });

  it('keeps an incomplete trailing line for the next chunk', () => {
    const a = parseProgressChunk('', 'frame=1\nout_time_us=12');
    expect(a).toEqual({ pending: 'out_time_us=12', outTimeUs: null, ended: false });
    const b = parseProgressChunk(a.pending, '34567\nprogress=end\n');
    expect(b).toEqual({ pending: '', outTimeUs: 1234567, ended: true });
  });

  it('returns the last value when a chunk holds several blocks', () => {
    const two = `${BLOCK}${BLOCK.replaceAll('2020136', '3000000')}`;
    expect(parseProgressChunk('', two).outTimeUs).toBe(3000000);
  });

  it('ignores N/A, garbage and CRLF noise', () => {
    expect(parseProgressChunk('', 'out_time_us=N/A\nout_time_ms=N/A\n').outTimeUs).toBeNull();
    expect(parseProgressChunk('', 'out_time_us=12abc\n=5\nnonsense\n').outTimeUs).toBeNull();
    expect(parseProgressChunk('', 'out_time_us=777\r\nprogress=end\r\n')).toEqual({ pending: '', outTimeUs: 777, ended: true });
  });

  it('accepts negative out_time (start of some encodes)', () => {
    expect(parseProgressChunk('', 'out_time_us=-23220\n').outTimeUs).toBe(-23220);
  });
});

describe('progressPercent', () => {
  it('clamps to 0..100', () => {
    expect(progressPercent(1_000_000, 4)).toBe(25);
    expect(progressPercent(-5_000, 4)).toBe(0);
    expect(progressPercent(9_000_000, 4)).toBe(100);
  });

  it('is unknowable without a positive expected duration', () => {
    expect(progressPercent(1_000_000, 0)).toBeNull();
    expect(progressPercent(1_000_000, Number.NaN)).toBeNull();
  });
});

function harness(expectedDurationSec = 100) {
  let clock = 0;
  const calls: number[] = [];
  const reporter = createProgressReporter({
    expectedDurationSec,
    onProgress: (p) => calls.push(p),
    now: () => clock,
  });
  return {
    calls,
    reporter,
    at(ms: number, seconds: number) {
      clock = ms;
      reporter.update(seconds * 1e6);
    },
  };
}

describe('createProgressReporter', () => {
  it('reports the first value immediately', () => {
    const h = harness();
    h.at(0, 0);
    expect(h.calls).toEqual([0]);
  });

  it('reports within a second only for steps of at least 5 points', () => {
    const h = harness();
    h.at(0, 0);
    h.at(100, 2);
    h.at(200, 4);
    h.at(300, 5);
    h.at(400, 9);
    h.at(500, 10);
    expect(h.calls).toEqual([0, 5, 10]);
  });

  it('reports smaller increases once a second has passed', () => {
    const h = harness();
    h.at(0, 0);
    h.at(999, 1);
    h.at(1000, 1);
    h.at(1500, 2);
    h.at(2000, 2);
    h.at(2000, 3);
    expect(h.calls).toEqual([0, 1, 2]);
  });

  it('never goes down and never repeats a value', () => {
    const h = harness();
    h.at(0, 50);
    h.at(5000, 10);
    h.at(10000, 50);
    h.at(15000, 50.9);
    expect(h.calls).toEqual([50]);
  });

  it('caps intermediate reports at 99 and sends a single final 100', () => {
    const h = harness(10);
    h.at(0, 9.999);
    h.at(5000, 12);
    h.reporter.complete();
    h.reporter.complete();
    h.at(9000, 20);
    expect(h.calls).toEqual([99, 100]);
  });

  it('still reports 100 on completion when progress was unknowable', () => {
    const h = harness(0);
    h.at(0, 5);
    h.reporter.complete();
    expect(h.calls).toEqual([100]);
  });

  it('swallows errors thrown or rejected by the callback', async () => {
    const sync = createProgressReporter({
      expectedDurationSec: 10,
      onProgress: () => {
        throw new Error('db down');
      },
    });
    expect(() => sync.update(1e6)).not.toThrow();
    expect(() => sync.complete()).not.toThrow();

    const async = createProgressReporter({
      expectedDurationSec: 10,
      onProgress: (() => Promise.reject(new Error('db down'))) as unknown as (p: number) => void,
    });
    async.complete();
    await new Promise((r) => setTimeout(r, 0));
  });
});
