import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One FFmpeg execution of a job: the processes that write the same temp output. */
export interface Execution {
  key: string;
  jobId: string;
  /** The worker that spawned it (FFmpeg's parent; setpriv execs FFmpeg). */
  workerPid: number;
  firstSeen: number;
  lastSeen: number;
  /** Last time one of its FFmpeg processes was seen running (not stopped). */
  lastRunning: number;
  maxProcesses: number;
}

export interface OverlapEpisode {
  jobId: string;
  from: number;
  to: number;
  seconds: number;
  executions: string[];
  workers: number[];
}

const JOB_OUT = /job-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([^\s/]*?)\.out\b/;
const JOB_ANY = /job-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([^\s/.]+)/;

/**
 * Samples `ps` every ~200 ms and tells, per job, how many executions run FFmpeg at the same time.
 * A job's FFmpeg processes are found by the job id in their temp output path (`job-<id>.<token>.out`);
 * one execution may run several at once (the smart cut encodes head and tail in parallel), so they
 * are grouped by that token, which is per execution. Processes in state T (stopped) do not count.
 */
export class OverlapSampler {
  readonly executions = new Map<string, Execution>();
  readonly episodes: OverlapEpisode[] = [];
  samples = 0;
  sampleErrors = 0;
  maxConcurrentExecutions = 0;
  maxProcessesOfOneJob = 0;
  private open = new Map<string, OverlapEpisode>();
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private busy = false;

  constructor(private readonly storageDir: string, private readonly everyMs = 200) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    for (const e of this.open.values()) this.close(e, this.last);
    this.open.clear();
  }

  /** Total seconds during which some job ran in two or more executions at once. */
  get overlapSeconds(): number {
    return this.episodes.reduce((s, e) => s + e.seconds, 0);
  }

  /** The executions of a worker seen running at or shortly before `at`. */
  executionsOfWorkerAt(pid: number, at: number): Execution[] {
    return [...this.executions.values()].filter((e) => e.workerPid === pid && e.firstSeen <= at && e.lastSeen >= at - 1_000);
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { stdout } = await run('ps', ['-ww', '-eo', 'pid=,ppid=,stat=,args='], { maxBuffer: 64 << 20 });
      const now = Date.now();
      const running = new Map<string, Set<string>>();
      const processesPerJob = new Map<string, number>();
      const processesPerExecution = new Map<string, number>();
      for (const line of stdout.split('\n')) {
        const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)(.*)$/.exec(line);
        if (!m) continue;
        const [, , ppid, stat, bin, rest] = m;
        if (path.basename(bin!) !== 'ffmpeg' || !rest!.includes(this.storageDir) || stat!.startsWith('Z')) continue;
        const hit = JOB_OUT.exec(rest!) ?? JOB_ANY.exec(rest!);
        if (!hit) continue;
        const jobId = hit[1]!;
        const key = `${jobId}.${hit[2]}`;
        let ex = this.executions.get(key);
        if (!ex) {
          ex = { key, jobId, workerPid: Number(ppid), firstSeen: now, lastSeen: now, lastRunning: 0, maxProcesses: 0 };
          this.executions.set(key, ex);
        }
        ex.lastSeen = now;
        processesPerExecution.set(key, (processesPerExecution.get(key) ?? 0) + 1);
        ex.maxProcesses = Math.max(ex.maxProcesses, processesPerExecution.get(key)!);
        // An orphan (its worker SIGKILLed) is re-parented; keep the worker it was first seen under.
        if (stat!.startsWith('T')) continue;
        ex.lastRunning = now;
        processesPerJob.set(jobId, (processesPerJob.get(jobId) ?? 0) + 1);
        const set = running.get(jobId) ?? new Set<string>();
        set.add(key);
        running.set(jobId, set);
      }
      for (const [jobId, keys] of running) {
        this.maxConcurrentExecutions = Math.max(this.maxConcurrentExecutions, keys.size);
        this.maxProcessesOfOneJob = Math.max(this.maxProcessesOfOneJob, processesPerJob.get(jobId) ?? 0);
        if (keys.size < 2) continue;
        let ep = this.open.get(jobId);
        if (!ep) {
          ep = { jobId, from: now, to: now, seconds: 0, executions: [], workers: [] };
          this.open.set(jobId, ep);
        }
        ep.to = now;
        for (const k of keys) {
          if (!ep.executions.includes(k)) ep.executions.push(k);
          const w = this.executions.get(k)!.workerPid;
          if (!ep.workers.includes(w)) ep.workers.push(w);
        }
      }
      for (const [jobId, ep] of this.open) {
        if ((running.get(jobId)?.size ?? 0) < 2) {
          this.close(ep, now);
          this.open.delete(jobId);
        }
      }
      this.samples += 1;
      this.last = now;
    } catch {
      this.sampleErrors += 1;
    } finally {
      this.busy = false;
    }
  }

  /** An episode lasts from its first sample to the first sample without overlap. */
  private close(ep: OverlapEpisode, endedAt: number): void {
    ep.to = Math.max(ep.to, endedAt);
    ep.seconds = (ep.to - ep.from) / 1000;
    this.episodes.push(ep);
  }
}
