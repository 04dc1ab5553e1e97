import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * PGlite (PostgreSQL in WebAssembly) behind a local socket server, so postgres.js, the SQL and the
 * migrations run unchanged. It runs one transaction at a time and has no cross-connection
 * LISTEN/NOTIFY; nothing in the service relies on either.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger, poolSize: number): Promise<EmbeddedPostgres> {
  const dir = path.join(dataDir, 'pglite');
  await mkdir(dir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: poolSize + 10 });
  server.addEventListener('error', (e) => logger.warn({ err: (e as CustomEvent).detail }, 'embedded PostgreSQL socket error'));
  await server.start();
  // After start() the server knows the port the OS picked: "127.0.0.1:<port>".
  const hostPort = server.getServerConn();
  return {
    url: `postgres://postgres@${hostPort}/postgres`,
    async stop() {
      await server.stop().catch(() => {});
      await db.close().catch(() => {});
    },
  };
}
