import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { startService, type ServiceProcess } from '../../test/helpers/processes.js';
import type { PrivateRedis } from '../../test/helpers/private-redis.js';
import { continueProcesses } from '../../test/helpers/process-tree.js';

export interface Member {
  role: 'api' | 'worker';
  name: string;
  proc: ServiceProcess;
  pid: number;
  startedAt: number;
  ready: Promise<boolean>;
  /** Set while the member is SIGSTOPped (with its FFmpeg children): the pids that were stopped. */
  paused?: number[];
}

export interface LogCounts {
  /** Log lines at level warn (40) and above, by process role and message. */
  byMessage: Map<string, number>;
  errorLines: { at: string; process: string; line: string }[];
}

const READY_MS = 90_000;

/**
 * The soak's processes: one API, three workers and a Redis of its own (so it can be restarted or
 * flushed), all on one PostgreSQL schema and one queue. Every process's output goes to a log file.
 */
export class Cluster {
  readonly workers: Member[] = [];
  api!: Member;
  private seq = 0;
  private readonly streams: WriteStream[] = [];
  readonly logCounts: LogCounts = { byMessage: new Map(), errorLines: [] };
  /** Every member ever started, for the log scan and the final stop. */
  readonly everyone: Member[] = [];

  constructor(
    readonly env: Record<string, string>,
    readonly redis: PrivateRedis,
    readonly port: number,
    readonly logDir: string,
  ) {}

  private start(role: 'api' | 'worker'): Member {
    const name = `${role}-${++this.seq}`;
    const proc = startService(role === 'api' ? 'src/server.ts' : 'workers/index.ts', { ...this.env, ...(role === 'api' ? { PORT: String(this.port) } : {}) });
    const stream = createWriteStream(path.join(this.logDir, `${name}-${proc.child.pid}.log`));
    this.streams.push(stream);
    let pending = '';
    proc.child.stdout!.on('data', (c: Buffer) => {
      stream.write(c);
      pending += c.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) this.count(name, l);
    });
    proc.child.stderr!.on('data', (c: Buffer) => stream.write(c));
    const readyMsg = role === 'api' ? (m: string) => m.includes('ready at') : (m: string) => m === 'video-jobs-worker ready';
    const ready = proc
      .waitForLog((l) => typeof l.msg === 'string' && readyMsg(l.msg), READY_MS)
      .then(() => true)
      .catch(() => false);
    const m: Member = { role, name, proc, pid: proc.child.pid!, startedAt: Date.now(), ready };
    this.everyone.push(m);
    return m;
  }

  private count(name: string, line: string): void {
    let parsed: { level?: number; msg?: string } | undefined;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    if (!parsed || (parsed.level ?? 0) < 40) return;
    const key = `${name.split('-')[0]} L${parsed.level} ${parsed.msg ?? '?'}`;
    this.logCounts.byMessage.set(key, (this.logCounts.byMessage.get(key) ?? 0) + 1);
    if ((parsed.level ?? 0) >= 50 && this.logCounts.errorLines.length < 200) {
      this.logCounts.errorLines.push({ at: new Date().toISOString(), process: name, line: line.slice(0, 1000) });
    }
  }

  async startApi(): Promise<Member> {
    this.api = this.start('api');
    if (!(await this.api.ready)) throw new Error(`the API did not start:\n${this.api.proc.output().slice(-3000)}`);
    return this.api;
  }

  /** A new worker; it counts as a member at once, ready or not (it may be waiting for Redis). */
  startWorker(): Member {
    const w = this.start('worker');
    this.workers.push(w);
    return w;
  }

  removeWorker(w: Member): void {
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
  }

  /** Pids of the service processes alive now (for the PostgreSQL backend termination). */
  livePids(): number[] {
    return [this.api, ...this.workers].filter((m) => m && m.proc.child.exitCode === null && m.proc.child.signalCode === null).map((m) => m.pid);
  }

  async stopAll(): Promise<void> {
    for (const m of this.everyone) if (m.paused) continueProcesses(m.paused);
    await Promise.all(this.everyone.map((m) => m.proc.stop('SIGTERM', 20_000).catch(() => null)));
    await Promise.all(this.streams.map((s) => new Promise((r) => s.end(r))));
  }
}
