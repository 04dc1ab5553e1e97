import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlive, processStartTime } from './own-process.js';

/**
 * DATA_DIR/owner.json (mode 0600): which process runs the embedded PostgreSQL and Redis of a DATA_DIR,
 * and, once they run, their URLs with the credentials. Its existence is the lock: it is created only
 * when absent, lives as long as its process, and a second owner refuses while that process runs.
 */
export interface OwnerRecord {
  pid: number;
  /** With the pid, names one process for good: a pid reused after a reboot is not the owner. */
  startTime: string;
  /** Set once the embedded backends run; the URLs are those of the embedded ones only. */
  ready?: boolean;
  databaseUrl?: string;
  redisUrl?: string;
}

export interface DataDirClaim {
  publish(urls: { databaseUrl?: string; redisUrl?: string }): Promise<void>;
  release(): Promise<void>;
}

const ownerFile = (dataDir: string) => path.join(dataDir, 'owner.json');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const parse = (text: string | undefined): OwnerRecord | undefined => {
  try {
    const r = JSON.parse(text ?? '') as OwnerRecord;
    return Number.isInteger(r.pid) && typeof r.startTime === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
};

const isLive = async (r: OwnerRecord) => {
  const startTime = await processStartTime(r.pid);
  // Without /proc a live pid counts as the owner: refusing wrongly is safer than two owners.
  return startTime === undefined && !r.startTime ? isAlive(r.pid) : startTime === r.startTime;
};

export const ownerRunningMessage = (dataDir: string, pid: number) =>
  `DATA_DIR ${dataDir} belongs to video-jobs pid ${pid}, which runs its embedded PostgreSQL and Redis: stop that one, add processes to it with \`npm run start:worker\` or \`npm run start:api\`, or set DATA_DIR elsewhere.`;

/** Makes this process the owner of `dataDir`, or throws a one-line message naming the running owner. */
export async function claimDataDir(dataDir: string): Promise<DataDirClaim> {
  await mkdir(dataDir, { recursive: true });
  const file = ownerFile(dataDir);
  const mine: OwnerRecord = { pid: process.pid, startTime: (await processStartTime(process.pid)) ?? '' };
  // Written whole, then linked into place: link fails when the file exists, and nobody ever reads half a record.
  const write = async (record: OwnerRecord, place: (tmp: string) => Promise<void>) => {
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(record), { mode: 0o600 });
    try {
      await place(tmp);
    } finally {
      await rm(tmp, { force: true });
    }
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await write(mine, (tmp) => link(tmp, file));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw err;
    }
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const held = parse(text);
    if (held && (await isLive(held))) throw new Error(ownerRunningMessage(dataDir, held.pid));
    // The owner died without releasing (kill -9). Move its record aside and drop it only if it is still
    // the one judged stale; a newer claim that a concurrent start made meanwhile is put back.
    const aside = `${file}.stale-${process.pid}`;
    await rename(file, aside).catch(() => {});
    const moved = await readFile(aside, 'utf8').catch(() => undefined);
    if (moved !== undefined && moved !== text) await link(aside, file).catch(() => {});
    await rm(aside, { force: true });
  }
  const releaseSync = () => {
    try {
      if (parse(readFileSync(file, 'utf8'))?.pid === process.pid) unlinkSync(file);
    } catch {
      // gone already
    }
  };
  process.on('exit', releaseSync);
  return {
    async publish(urls) {
      await write({ ...mine, ready: true, ...urls }, (tmp) => rename(tmp, file));
    },
    async release() {
      process.off('exit', releaseSync);
      releaseSync();
    },
  };
}

export const noOwnerMessage = (dataDir: string) =>
  `Nothing runs embedded PostgreSQL and Redis in DATA_DIR ${dataDir} to attach to: start \`npm start\` there first (with the same DATA_DIR), or set DATABASE_URL and REDIS_URL.`;

/**
 * The URLs of the embedded backends that the owner of `dataDir` runs, waiting while it is still starting them;
 * throws a one-line message when no owner runs or it runs no embedded one of what is needed.
 */
export async function attachToOwner(dataDir: string, need: { database: boolean; redis: boolean }, waitMs = 30_000): Promise<OwnerRecord> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const owner = parse(await readFile(ownerFile(dataDir), 'utf8').catch(() => undefined));
    if (!owner || !(await isLive(owner))) throw new Error(noOwnerMessage(dataDir));
    if (owner.ready) {
      const lacking = [need.database && !owner.databaseUrl ? 'DATABASE_URL' : undefined, need.redis && !owner.redisUrl ? 'REDIS_URL' : undefined].filter(Boolean);
      if (lacking.length > 0) {
        throw new Error(`video-jobs pid ${owner.pid} in DATA_DIR ${dataDir} runs external backends for ${lacking.join(' and ')}: set ${lacking.join(' and ')} as it does.`);
      }
      return owner;
    }
    if (Date.now() > deadline) throw new Error(`video-jobs pid ${owner.pid} in DATA_DIR ${dataDir} did not start its embedded backends within ${waitMs / 1000} s.`);
    await sleep(100);
  }
}

/** The live owner of `dataDir`, if any. */
export async function ownerOf(dataDir: string): Promise<OwnerRecord | undefined> {
  const owner = parse(await readFile(ownerFile(dataDir), 'utf8').catch(() => undefined));
  return owner && (await isLive(owner)) ? owner : undefined;
}
