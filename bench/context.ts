import type { ApiClient } from './api.js';
import type { Media } from './media.js';
import type { Isolation, Service } from './service.js';

export interface BenchContext {
  api: ApiClient;
  service: Service;
  media: Media;
  iso: Isolation;
  runs: number;
  /** Scratch space on the same filesystem as the service's storage. */
  scratch: string;
  log(message: string): void;
  /** Uploads a file once per bench run (untimed) and returns its video id. */
  uploaded(file: string): Promise<string>;
  stopWorker(): Promise<void>;
  /** Figures one row measures and a later row reuses. */
  shared: { bareCopySec?: number; bigVideoId?: string; sampleJobId?: string };
}

/** What a row measured, before the runner stamps it. */
export interface RowOutcome {
  service: string;
  beside: string;
  /** The figure the target is judged on, e.g. "ratio 1.07". */
  verdict: string;
  pass: boolean;
  exact: boolean | null;
  data: Record<string, unknown>;
}

export interface Row {
  key: string;
  title: string;
  target: string;
  timeoutMs: number;
  measure(ctx: BenchContext): Promise<RowOutcome>;
}

export interface RowResult {
  key: string;
  row: string;
  service: string;
  beside: string;
  target: string;
  verdict: string;
  pass: boolean;
  exact: boolean | null;
  error?: string;
  measuredAt: string;
  runId: string;
  data: Record<string, unknown>;
}
