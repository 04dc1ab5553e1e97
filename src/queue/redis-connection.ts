import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole = 'producer' | 'worker';

/**
 * Producers fail fast (an API request must answer, not hang, while Redis is down);
 * workers and subscribers wait for Redis and resume by themselves when it returns.
 * `unix:///path/redis.sock` names a unix socket (the embedded Redis).
 */
export function createRedis(url: string, role: RedisRole): Redis {
  const failFast = role === 'producer';
  const options: RedisOptions = {
    maxRetriesPerRequest: failFast ? 1 : null,
    enableOfflineQueue: !failFast,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  };
  if (url.startsWith('unix://')) return new Redis({ ...options, path: url.slice('unix://'.length) });
  return new Redis(url, options);
}

/** Resolves when the client is connected, or after `ms` (false) so start-up never hangs on Redis. */
export function untilReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, ms);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}
