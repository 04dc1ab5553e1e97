import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../src/config.js';
import { ROOT } from '../helpers/processes.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  deploy?: { replicas?: number };
}

const load = async () => parse(await readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };

describe('docker-compose.yml', () => {
  it('when read, then it has postgres, redis (append-only, noeviction), the API and two worker replicas', async () => {
    const { services } = await load();
    expect(Object.keys(services).sort()).toEqual(['api', 'postgres', 'redis', 'worker']);
    expect(services.redis!.command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    expect(services.worker!.deploy?.replicas).toBe(2);
    expect(services.api!.command?.join(' ')).toContain('src/server.ts');
    expect(services.worker!.command?.join(' ')).toContain('workers/index.ts');
  });

  it('when read, then the API and the workers share one storage volume at STORAGE_DIR', async () => {
    const { services, volumes } = await load();
    const mountOf = (s: Service) => s.volumes?.map((v) => v.split(':')).find(([, target]) => target === s.environment?.STORAGE_DIR);
    const api = mountOf(services.api!);
    const worker = mountOf(services.worker!);
    expect(api).toBeDefined();
    expect(worker).toBeDefined();
    expect(api![0]).toBe(worker![0]);
    expect(Object.keys(volumes)).toContain(api![0]);
  });

  it('when read, then every variable it sets is one the code reads, and both halves point at the shared PostgreSQL and Redis', async () => {
    const { services } = await load();
    for (const name of ['api', 'worker']) {
      const env = services[name]!.environment ?? {};
      for (const key of Object.keys(env)) expect(CONFIG_VARIABLES, `${name}: ${key}`).toContain(key);
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(env.REDIS_URL).toBe('redis://redis:6379');
    }
    expect(services.api!.environment?.DATABASE_URL).toBe(services.worker!.environment?.DATABASE_URL);
  });
});
