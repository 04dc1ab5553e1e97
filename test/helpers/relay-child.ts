// A relay in a process of its own, for the test that runs two at once: it hands runnable jobs to a
// recorder that prints them, one JSON line per hand-off, until its stdin closes.
import pino from 'pino';
import { createSqlClient } from '../../src/db/sql-client.js';
import { OutboxRelay } from '../../src/outbox/relay.js';
import { OutboxRepository } from '../../src/repositories/outbox.repository.js';

const sql = createSqlClient({ url: process.env.DATABASE_URL!, schema: process.env.DB_SCHEMA! });
const relay = new OutboxRelay(
  new OutboxRepository(sql),
  {
    async enqueue(items) {
      // A receiver that takes a while, so the two relays overlap.
      await new Promise((r) => setTimeout(r, 50));
      for (const item of items) process.stdout.write(`${JSON.stringify({ handed: item.id, pid: process.pid })}\n`);
    },
  },
  pino({ level: 'silent' }),
  { intervalMs: 20, batchSize: 25 },
);
relay.start();
process.stdout.write(`${JSON.stringify({ ready: process.pid })}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await relay.stop();
  await sql.end({ timeout: 5 });
  process.exit(0);
});
