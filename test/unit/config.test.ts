import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('when nothing is set, then the contract defaults apply', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, maxUploadBytes: 2147483648, ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe' });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
    expect(c.storageDir.endsWith('/uploads')).toBe(true);
    expect(c.dataDir.endsWith('/data')).toBe(true);
    expect(c.workerConcurrency).toBeGreaterThan(0);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('when a value is bad, then the error names the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ MAX_UPLOAD_BYTES: '-5' })).toThrow(/MAX_UPLOAD_BYTES/);
    expect(() => loadConfig({ WEBHOOK_SECRET: 'hunter2' })).toThrow(/WEBHOOK_SECRET/);
  });

  it('when a variable is set to an empty string, then it counts as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });
});
