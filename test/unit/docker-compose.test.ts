import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { SHUTDOWN_MARGIN_MS } from '../../src/process-runner.js';
import { ROOT } from '../helpers/processes.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  stop_grace_period?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  deploy?: { replicas?: number };
  profiles?: string[];
  entrypoint?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const load = async () => parse(await readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };

describe('docker-compose.yml', () => {
  it('when read, then it has postgres, redis (append-only, noeviction), the API and two worker replicas', async () => {
    const { services } = await load();
    const always = Object.entries(services).filter(([, s]) => !s.profiles).map(([name]) => name);
    expect(always.sort()).toEqual(['api', 'postgres', 'redis', 'worker']);
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
    for (const name of ['api', 'worker', 'api-s3', 'worker-s3']) {
      const env = services[name]!.environment ?? {};
      for (const key of Object.keys(env)) expect(CONFIG_VARIABLES, `${name}: ${key}`).toContain(key);
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(env.REDIS_URL).toBe('redis://redis:6379');
    }
    expect(services.api!.environment?.DATABASE_URL).toBe(services.worker!.environment?.DATABASE_URL);
  });
});

describe('docker-compose.yml, the object-storage profile', () => {
  it('when read, then MinIO, its bucket, an API and two worker replicas are in the profile, and nothing else is', async () => {
    const { services } = await load();
    const inProfile = Object.entries(services).filter(([, s]) => s.profiles?.includes('object-storage')).map(([name]) => name);
    expect(inProfile.sort()).toEqual(['api-s3', 'minio', 'minio-bucket', 'worker-s3']);
    expect(services['worker-s3']!.deploy?.replicas).toBe(2);
    expect(services['api-s3']!.command?.join(' ')).toContain('src/server.ts');
    expect(services['worker-s3']!.command?.join(' ')).toContain('workers/index.ts');
  });

  it('when read, then its API and workers mount no volume at all and reach the bucket the profile creates', async () => {
    const { services } = await load();
    const bucketMade = /mc mb\b.*\bstore\/([a-z0-9.-]+)/.exec(services['minio-bucket']!.entrypoint!.join(' '))?.[1];
    expect(bucketMade).toBeDefined();
    for (const name of ['api-s3', 'worker-s3']) {
      const s = services[name]!;
      expect(s.volumes ?? [], name).toEqual([]);
      const config = loadConfig({ ...s.environment });
      expect(config.storage.backend, name).toBe('s3');
      expect(config.storage.s3, name).toMatchObject({ endpoint: 'http://minio:9000', bucket: bucketMade, forcePathStyle: true });
      expect(s.environment?.S3_ACCESS_KEY_ID, name).toBe(services.minio!.environment?.MINIO_ROOT_USER);
      expect(s.environment?.S3_SECRET_ACCESS_KEY, name).toBe(services.minio!.environment?.MINIO_ROOT_PASSWORD);
      expect(s.depends_on?.['minio-bucket']?.condition, name).toBe('service_completed_successfully');
    }
  });

  it('when read, then its halves share a schema and a queue of their own, apart from the shared-volume layout', async () => {
    const { services } = await load();
    const api = services['api-s3']!.environment!;
    const worker = services['worker-s3']!.environment!;
    expect(api.DB_SCHEMA).toBe(worker.DB_SCHEMA);
    expect(api.QUEUE_NAME).toBe(worker.QUEUE_NAME);
    expect(loadConfig({ ...api }).dbSchema).not.toBe(loadConfig({ ...services.api!.environment }).dbSchema);
    expect(loadConfig({ ...api }).queueName).not.toBe(loadConfig({ ...services.api!.environment }).queueName);
  });
});

// What the image holds and how it starts, checked without a Docker engine.

const ENTRY_POINTS = ['workers/main.ts', 'src/server.ts', 'workers/index.ts'];

interface Dockerfile {
  /** The exec-form CMD (and ENTRYPOINT before it). */
  cmd: string[];
  /** What COPY puts into the image, as paths of the build context. */
  copied: string[];
  runs: string[];
}

const readDockerfile = (): Dockerfile => {
  const lines = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const arg = (keyword: string) => lines.filter((l) => l.toUpperCase().startsWith(`${keyword} `)).map((l) => l.slice(keyword.length + 1).trim());
  const execForm = (keyword: string) => {
    const last = arg(keyword).at(-1);
    if (last === undefined) return [];
    // The shell form would run under /bin/sh, where SIGTERM never reaches node.
    expect(last.startsWith('['), `${keyword} in exec form`).toBe(true);
    return JSON.parse(last) as string[];
  };
  return {
    cmd: [...execForm('ENTRYPOINT'), ...execForm('CMD')],
    copied: arg('COPY').flatMap((a) => a.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1)),
    runs: arg('RUN'),
  };
};

interface NodeCommand {
  loaders: string[];
  script: string;
}

/** `node [--import X | --loader X | -r X …] script`: the loaders and the script it runs. */
const parseNodeCommand = (argv: string[]): NodeCommand => {
  expect(argv[0]).toBe('node');
  const loaders: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const flag = /^(--import|--loader|--experimental-loader|--require|-r)(?:=(.*))?$/.exec(a);
    if (flag) {
      loaders.push(flag[2] ?? argv[++i]!);
      continue;
    }
    if (a.startsWith('-')) continue;
    return { loaders, script: a };
  }
  throw new Error(`no script in ${argv.join(' ')}`);
};

const isBuiltin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec);
const packageOf = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/** The module specifiers a file loads at run time (type-only imports and exports are erased). */
const runtimeSpecifiers = (file: string): string[] => {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const specs: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) specs.push(node.moduleSpecifier.text);
    else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) specs.push(node.moduleSpecifier.text);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [first] = node.arguments;
      expect(first && ts.isStringLiteral(first), `${file}: a dynamic import of a literal`).toBe(true);
      specs.push((first as ts.StringLiteral).text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specs;
};

const resolveLocal = (from: string, spec: string): string => {
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, path.join(base, 'index.ts')];
  const hit = candidates.find((c) => existsSync(c) && c.endsWith('.ts'));
  if (!hit) throw new Error(`${path.relative(ROOT, from)} imports ${spec}, which does not resolve to a file`);
  return hit;
};

/** Every local file and every package that running `entries` loads. */
const importGraph = (entries: string[]) => {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = entries.map((e) => path.join(ROOT, e));
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of runtimeSpecifiers(file)) {
      if (spec.startsWith('.') || spec.startsWith('/')) pending.push(resolveLocal(file, spec));
      else if (!isBuiltin(spec)) packages.add(packageOf(spec));
    }
  }
  return { files: [...files].map((f) => path.relative(ROOT, f)), packages: [...packages].sort() };
};

const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; version?: string }> };

/** What `npm ci --omit=dev` leaves out, as the lock file records it. */
const missingWithoutDev = (packages: string[]) =>
  packages.filter((name) => !(name in packageJson.dependencies) || !lock.packages[`node_modules/${name}`] || lock.packages[`node_modules/${name}`]!.dev === true);

const underCopied = (copied: string[], file: string) => copied.some((c) => file === c || file.startsWith(`${c.replace(/\/$/, '')}/`));

describe('Dockerfile', () => {
  it('when read, then it installs without dev dependencies and starts one of the entry points with node in exec form', () => {
    const { cmd, runs } = readDockerfile();
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    const { script } = parseNodeCommand(cmd);
    expect(ENTRY_POINTS).toContain(script);
    const installs = runs.filter((r) => r.includes('apt-get install')).join(' ');
    expect(installs).toContain('ffmpeg');
    // The one-process entry point falls back to an embedded Redis when REDIS_URL is not set.
    if (script === 'workers/main.ts') expect(installs).toContain('redis-server');
  });

  it('when the image and the compose services start, then every loader and script they name is in the image and installed without dev dependencies', async () => {
    const { cmd, copied } = readDockerfile();
    const { services } = await load();
    const commands = [cmd, ...Object.values(services).filter((s) => s.build !== undefined).map((s) => s.command ?? cmd)];
    for (const argv of commands) {
      const { loaders, script } = parseNodeCommand(argv);
      expect(existsSync(path.join(ROOT, script)), `${argv.join(' ')}: ${script} exists`).toBe(true);
      expect(underCopied(copied, script), `${script} is copied into the image`).toBe(true);
      for (const loader of loaders) {
        if (loader.startsWith('.') || loader.startsWith('/')) expect(underCopied(copied, path.normalize(loader)), `${loader} is copied into the image`).toBe(true);
        else expect(missingWithoutDev([packageOf(loader)]), `${argv.join(' ')}: loader ${loader}`).toEqual([]);
      }
    }
  });

  it('when the entry points are followed import by import, then every package they load is a runtime dependency and every file is in the image', () => {
    const { copied } = readDockerfile();
    const { files, packages } = importGraph(ENTRY_POINTS);
    expect(packages.length).toBeGreaterThan(0);
    expect(missingWithoutDev(packages)).toEqual([]);
    expect(files.filter((f) => !underCopied(copied, f))).toEqual([]);
    // Migrations are read from disk, next to the code that runs them.
    expect(underCopied(copied, 'src/db/migrations')).toBe(true);
  });
});

describe('docker-compose.yml stop times', () => {
  const toMs = (d: string | undefined) => {
    if (d === undefined) return 10_000; // Docker's default
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(d);
    if (!m) throw new Error(`cannot read stop_grace_period ${d}`);
    return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
  };

  it('when a service is stopped, then its own shutdown deadline ends before Docker sends SIGKILL', async () => {
    const { services } = await load();
    for (const [name, s] of Object.entries(services).filter(([, s]) => s.build !== undefined)) {
      const deadline = loadConfig({ ...s.environment }).shutdownGraceMs + SHUTDOWN_MARGIN_MS;
      expect(toMs(s.stop_grace_period), `${name}: stop_grace_period vs SHUTDOWN_GRACE_MS + ${SHUTDOWN_MARGIN_MS} ms`).toBeGreaterThan(deadline);
    }
  });
});
