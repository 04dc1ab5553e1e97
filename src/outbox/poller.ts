/** Runs `pass` every `intervalMs`, never two at once; a failed pass is reported and tried again. */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private again = false;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Runs a pass now unless one is running. */
  tick(): void {
    if (this.running) return;
    this.running = this.pass()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (this.again && this.timer) {
          this.again = false;
          this.tick();
        }
      });
  }

  /**
   * Runs a pass as soon as possible: now, or right after the one that is running (which may have
   * looked before the caller's change was committed).
   */
  kick(): void {
    if (this.running) this.again = true;
    else this.tick();
  }

  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
