import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { withTimeout } from './measure.js';
import { DATABASE_URL, REDIS_URL, type Isolation } from './service.js';

export async function dropSchema(schema: string): Promise<void> {
  const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function obliterateQueue(name: string): Promise<void> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: 3, connectTimeout: 5_000 });
  const queue = new Queue(name, { connection });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/**
 * FFmpeg runs in its own process group, tied to its worker by a parent-death signal; should one
 * outlive the worker anyway, it is found by this run's unique storage path and killed by pid.
 */
export function killStrays(storageDir: string): number[] {
  const killed: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(storageDir)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      killed.push(Number(entry));
    } catch {
      // already gone
    }
  }
  return killed;
}

/** Removes everything the run created in PostgreSQL, Redis and on disk; reports what it could not. */
export async function teardown(iso: Isolation, scratchDir: string, log: (m: string) => void): Promise<void> {
  const strays = killStrays(iso.storageDir);
  if (strays.length > 0) log(`killed stray processes: ${strays.join(', ')}`);
  const steps: [string, () => Promise<void>][] = [
    [`drop schema ${iso.schema}`, () => dropSchema(iso.schema)],
    [`obliterate queue ${iso.queue}`, () => obliterateQueue(iso.queue)],
    [`remove ${iso.storageDir}`, () => rm(iso.storageDir, { recursive: true, force: true })],
    [`remove ${scratchDir}`, () => rm(scratchDir, { recursive: true, force: true })],
  ];
  for (const [label, step] of steps) {
    try {
      await withTimeout(label, 60_000, step);
    } catch (err) {
      log(`cleanup failed: ${label}: ${(err as Error).message}`);
    }
  }
}
