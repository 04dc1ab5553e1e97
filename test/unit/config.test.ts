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

  it('when the storage backend is not set, then it is the local directory, and S3 settings are absent', () => {
    const c = loadConfig({});
    expect(c.storage).toMatchObject({ backend: 'fs', s3: undefined, downloads: 'proxy', scratchMaxBytes: 10_737_418_240 });
    expect(c.linkSecret).toBeUndefined();
  });

  it('when STORAGE_BACKEND=s3, then the S3 settings are read, and a missing bucket or half the credentials stop start-up', () => {
    const c = loadConfig({
      STORAGE_BACKEND: 's3',
      S3_ENDPOINT: 'http://minio:9000',
      S3_BUCKET: 'videojobs',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_FORCE_PATH_STYLE: 'true',
      S3_DOWNLOADS: 'redirect',
      SCRATCH_MAX_BYTES: '1000000',
    });
    expect(c.storage).toEqual({
      backend: 's3',
      s3: { endpoint: 'http://minio:9000', bucket: 'videojobs', region: 'us-east-1', accessKeyId: 'id', secretAccessKey: 'secret', forcePathStyle: true, prefix: 'videos/' },
      downloads: 'redirect',
      scratchMaxBytes: 1_000_000,
    });
    expect(() => loadConfig({ STORAGE_BACKEND: 's3' })).toThrow(/S3_BUCKET/);
    expect(() => loadConfig({ STORAGE_BACKEND: 's3', S3_BUCKET: 'b1b', S3_ACCESS_KEY_ID: 'id' })).toThrow(/S3_SECRET_ACCESS_KEY/);
    expect(() => loadConfig({ STORAGE_BACKEND: 'nfs' })).toThrow(/STORAGE_BACKEND/);
    expect(() => loadConfig({ S3_DOWNLOADS: 'sometimes' })).toThrow(/S3_DOWNLOADS/);
    expect(() => loadConfig({ S3_PREFIX: '../up' })).toThrow(/S3_PREFIX/);
    expect(() => loadConfig({ LINK_SECRET: 'short' })).toThrow(/LINK_SECRET/);
  });
});
