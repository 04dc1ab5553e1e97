import { Redis } from 'ioredis';
import type { Sql } from 'postgres';
import { terminateBackendsOf } from '../../test/helpers/pg-backends.js';
import { continueProcesses, stopTree } from '../../test/helpers/process-tree.js';
import type { Cluster, Member } from './cluster.js';
import { sleep, type Random } from './random.js';
import type { OverlapSampler } from './sampler.js';

export type FaultKind = 'worker-kill' | 'worker-pause' | 'redis-restart' | 'redis-flushall' | 'pg-terminate' | 'api-restart';

export interface FaultEvent {
  kind: FaultKind;
  at: number;
  endedAt?: number;
  /** The worker killed or paused. */
  pid?: number;
  /** Jobs whose FFmpeg that worker was running at that moment. */
  jobsInFlight?: string[];
  /** pg-terminate: backends ended. */
  backends?: number;
  note?: string;
}

const PAUSE_MS = 15_000;
const WORKERS = 3;

/**
 * The faults of the soak. A worker is SIGKILLed every 8–15 s and replaced. Beside that, one of the
 * "big" faults every `bigEveryMs`, in turn: pause a worker 15 s (SIGSTOP of it and its FFmpeg, then
 * SIGCONT), terminate the PostgreSQL backends of the soak's processes, restart the API with SIGTERM,
 * restart Redis empty, FLUSHALL.
 */
export class FaultInjector {
  readonly events: FaultEvent[] = [];
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly admin: Sql,
    private readonly sampler: OverlapSampler,
    private readonly rnd: Random,
    private readonly bigEveryMs: number,
  ) {}

  start(): void {
    this.loops = [this.killLoop(), this.bigLoop()];
  }

  /** Stops injecting, waits for a fault in progress to end, and leaves everything running. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
    for (const w of this.cluster.workers) if (w.paused) this.resume(w);
    await this.cluster.redis.up();
    while (this.cluster.workers.length < WORKERS) this.cluster.startWorker();
    await Promise.all(this.cluster.workers.map((w) => w.ready));
  }

  count(kind: FaultKind): number {
    return this.events.filter((e) => e.kind === kind).length;
  }

  private async wait(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (!this.stopping && Date.now() < until) await sleep(Math.min(250, until - Date.now()));
    return !this.stopping;
  }

  private inFlight(pid: number): string[] {
    return [...new Set(this.sampler.executionsOfWorkerAt(pid, Date.now()).map((e) => e.jobId))];
  }

  private async killLoop(): Promise<void> {
    while (await this.wait(this.rnd.between(8_000, 15_000))) {
      const candidates = this.cluster.workers.filter((w) => !w.paused);
      if (candidates.length === 0) continue;
      // Prefer a worker in the middle of FFmpeg: that is the case that matters.
      const busy = candidates.filter((w) => this.inFlight(w.pid).length > 0);
      const victim = this.rnd.pick(busy.length > 0 ? busy : candidates);
      const ev: FaultEvent = { kind: 'worker-kill', at: Date.now(), pid: victim.pid, jobsInFlight: this.inFlight(victim.pid) };
      this.events.push(ev);
      this.cluster.removeWorker(victim);
      await victim.proc.stop('SIGKILL');
      this.cluster.startWorker();
      ev.endedAt = Date.now();
    }
  }

  private async bigLoop(): Promise<void> {
    const order: FaultKind[] = ['worker-pause', 'pg-terminate', 'api-restart', 'redis-restart', 'redis-flushall'];
    let i = 0;
    while (await this.wait(i === 0 ? Math.min(20_000, this.bigEveryMs) : this.bigEveryMs)) {
      const kind = order[i++ % order.length]!;
      const ev: FaultEvent = { kind, at: Date.now() };
      this.events.push(ev);
      try {
        await this.inject(kind, ev);
      } catch (err) {
        ev.note = `failed: ${(err as Error).message}`;
      }
      ev.endedAt = Date.now();
    }
  }

  private async inject(kind: FaultKind, ev: FaultEvent): Promise<void> {
    switch (kind) {
      case 'worker-pause': {
        const candidates = this.cluster.workers.filter((w) => !w.paused);
        const busy = candidates.filter((w) => this.inFlight(w.pid).length > 0);
        const w = this.rnd.pick(busy.length > 0 ? busy : candidates);
        ev.pid = w.pid;
        ev.jobsInFlight = this.inFlight(w.pid);
        w.paused = stopTree(w.pid);
        ev.note = `stopped ${w.paused.length} processes`;
        // Not cut short by stop(): a pause is 15 s, and it ends with SIGCONT whatever happens.
        await sleep(PAUSE_MS);
        this.resume(w);
        return;
      }
      case 'pg-terminate':
        ev.backends = await terminateBackendsOf(this.admin, this.cluster.livePids());
        return;
      case 'api-restart': {
        const old = this.cluster.api;
        await old.proc.stop('SIGTERM', 30_000);
        await this.cluster.startApi();
        return;
      }
      case 'redis-restart':
        await this.cluster.redis.down();
        await sleep(1_000);
        await this.cluster.redis.up();
        return;
      case 'redis-flushall': {
        const r = new Redis(this.cluster.redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
        await r.connect();
        await r.flushall();
        r.disconnect();
        return;
      }
      case 'worker-kill':
        return;
    }
  }

  private resume(w: Member): void {
    if (!w.paused) return;
    continueProcesses(w.paused);
    w.paused = undefined;
  }
}
