import type { Sql, Queryable } from '../db/sql-client.js';
import type { Stores, UnitOfWork } from '../core/ports.js';
import { JobRepository } from './job.repository.js';
import { OutboxRepository } from './outbox.repository.js';
import { VideoRepository } from './video.repository.js';

// Deadlock and serialization failures: the transaction did nothing and can run again.
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_TRIES = 4;

function storesOver(sql: Queryable): Stores {
  return { jobs: new JobRepository(sql), videos: new VideoRepository(sql), outbox: new OutboxRepository(sql) };
}

/** Units of work over PostgreSQL transactions; a deadlocked one is run again a few times. */
export class PostgresUnitOfWork implements UnitOfWork {
  readonly read: Stores;

  constructor(private readonly sql: Sql) {
    this.read = storesOver(sql);
  }

  async run<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.sql.begin((tx) => work(storesOver(tx)))) as T;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code !== 'string' || !RETRYABLE.has(code) || attempt >= MAX_TRIES) throw err;
        await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 40));
      }
    }
  }
}
