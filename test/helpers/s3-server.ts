import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

export interface S3Server {
  endpoint: string;
  /** A fresh, empty bucket; its name. */
  newBucket(): Promise<string>;
  /** The environment that points the service at `bucket` on this server. */
  env(bucket: string): Record<string, string>;
  close(): Promise<void>;
}

// s3rver's own dummy account; it does not check signatures made with it (nothing here relies on it checking any).
const CREDENTIALS = { S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' };

/** An S3-protocol server (s3rver) in this process, on a free port, over a temp directory. */
export async function startS3Server(): Promise<S3Server> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'vj-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, allowMismatchedSignatures: true, vhostBuckets: false });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    async newBucket() {
      const name = `vj-${randomBytes(5).toString('hex')}`;
      await server.store.putBucket(name);
      return name;
    },
    env: (bucket) => ({
      STORAGE_BACKEND: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      ...CREDENTIALS,
    }),
    async close() {
      await server.close().catch(() => {});
      await rm(directory, { recursive: true, force: true });
    },
  };
}
