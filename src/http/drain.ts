import { unlink } from 'node:fs/promises';
import type { RequestHandler, Response } from 'express';

/**
 * What a stopping API needs to finish what it accepted: how many requests are still in flight, a
 * `Connection: close` on every response once it drains (so keep-alive clients go elsewhere), and
 * the temp files that requests still hold, to remove when they cannot finish in time.
 */
export class Drain {
  private readonly active = new Set<Response>();
  private stopping = false;
  private readonly idleWaiters = new Set<() => void>();
  private readonly held = new Set<string>();
  private readonly streams = new Set<Response>();
  private readonly ends = new WeakMap<Response, () => void>();

  readonly middleware: RequestHandler = (_req, res, next) => {
    if (this.stopping) res.setHeader('Connection', 'close');
    this.active.add(res);
    const end = () => {
      if (!this.active.delete(res)) return;
      this.streams.delete(res);
      if (this.active.size === 0) for (const w of this.idleWaiters) w();
    };
    this.ends.set(res, end);
    res.once('finish', end);
    res.once('close', end);
    next();
  };

  /**
   * A response that never ends by itself (an event stream): it does not hold up a drain, and a
   * drain ends it, so its client reconnects to another instance.
   */
  stream(res: Response): void {
    this.ends.get(res)?.();
    if (this.stopping) res.end();
    else this.streams.add(res);
  }

  get draining(): boolean {
    return this.stopping;
  }

  start(): void {
    this.stopping = true;
    for (const res of this.active) if (!res.headersSent) res.setHeader('Connection', 'close');
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  /** Resolves true once no request is in flight, or false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.active.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.idleWaiters.delete(onIdle);
        resolve(ok);
      };
      const onIdle = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.idleWaiters.add(onIdle);
    });
  }

  /** Marks `file` as held by a request in flight; call the result when the request is done with it. */
  hold(file: string): () => void {
    this.held.add(file);
    return () => this.held.delete(file);
  }

  /** Removes the files of requests that did not finish; returns how many there were. */
  async discardHeld(): Promise<number> {
    const files = [...this.held];
    await Promise.all(files.map((f) => unlink(f).catch(() => {})));
    this.held.clear();
    return files.length;
  }
}
