import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { ResolvedUrls } from './deps.js';
import { startEmbeddedPostgres } from './embedded/embedded-postgres.js';
import { startEmbeddedRedis } from './embedded/embedded-redis.js';

export interface Backends extends ResolvedUrls {
  description: { database: string; redis: string };
  stop(): Promise<void>;
}

/** External PostgreSQL/Redis when their URLs are set; otherwise embedded ones under DATA_DIR. */
export async function resolveBackends(config: Config, logger: Logger, poolSize: number): Promise<Backends> {
  const stops: (() => Promise<void>)[] = [];
  try {
    let databaseUrl = config.databaseUrl;
    let database = 'external (DATABASE_URL)';
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres(config.dataDir, logger, poolSize);
      stops.push(pg.stop);
      databaseUrl = pg.url;
      database = `embedded PGlite in ${config.dataDir}/pglite`;
    }
    let redisUrl = config.redisUrl;
    let redis = 'external (REDIS_URL)';
    if (!redisUrl) {
      const r = await startEmbeddedRedis(config.dataDir, logger);
      stops.unshift(r.stop);
      redisUrl = r.url;
      redis = `embedded redis-server on ${r.url}`;
    }
    return {
      databaseUrl,
      redisUrl,
      description: { database, redis },
      async stop() {
        for (const stop of stops) await stop().catch(() => {});
      },
    };
  } catch (err) {
    for (const stop of stops) await stop().catch(() => {});
    throw err;
  }
}
