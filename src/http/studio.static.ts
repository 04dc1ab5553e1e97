import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestHandler } from 'express';

/**
 * The studio page: `/` is web/index.html, and every module and stylesheet is under
 * `/studio/<version>/…`, where the version is a hash of all the served files, so they can be cached
 * for a year and a new release is a new URL. Preact, htm and tus-js-client come from node_modules through the
 * page's import map: no bundler, nothing from another origin. A plain middleware, not a route: the
 * page is not part of the API and its document.
 */

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Served module path → file; the import map names them. */
const VENDOR: Record<string, string> = {
  'vendor/preact.mjs': 'node_modules/preact/dist/preact.mjs',
  'vendor/preact-hooks.mjs': 'node_modules/preact/hooks/dist/hooks.mjs',
  'vendor/htm.mjs': 'node_modules/htm/dist/htm.mjs',
};

/**
 * Served module path → a UMD bundle that sets a global, and the names the module exports from it
 * (tus-js-client ships no browser ES module that runs without a bundler).
 */
const VENDOR_UMD: Record<string, { file: string; global: string; exports: string[] }> = {
  'vendor/tus.mjs': { file: 'node_modules/tus-js-client/dist/tus.min.js', global: 'tus', exports: ['Upload', 'isSupported'] },
};

// The bundle runs with no module, exports or define in sight, so it always takes its "set a global" branch.
function umdAsModule(source: string, global: string, names: string[]): Buffer {
  const code = source.replace(/^\/\/# sourceMappingURL=.*$/m, '');
  return Buffer.from(
    `(function (module, exports, define) {\n${code}\n}).call(globalThis);\n` +
      `const { ${names.join(', ')} } = globalThis.${global};\nexport { ${names.join(', ')} };\n`,
  );
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  body: Buffer;
  type: string;
}

function webAssets(webDir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (TYPES[path.extname(entry.name)]) {
        assets.set(path.relative(webDir, full).split(path.sep).join('/'), { body: readFileSync(full), type: TYPES[path.extname(entry.name)]! });
      }
    }
  };
  walk(webDir);
  for (const [served, file] of Object.entries(VENDOR)) {
    assets.set(served, { body: readFileSync(path.join(REPO_ROOT, file)), type: TYPES['.mjs']! });
  }
  for (const [served, umd] of Object.entries(VENDOR_UMD)) {
    assets.set(served, { body: umdAsModule(readFileSync(path.join(REPO_ROOT, umd.file), 'utf8'), umd.global, umd.exports), type: TYPES['.mjs']! });
  }
  return assets;
}

export function studioPage(webDir = path.join(REPO_ROOT, 'web')): RequestHandler {
  const assets = webAssets(webDir);
  const hash = createHash('sha256');
  for (const [name, a] of [...assets].sort(([x], [y]) => x.localeCompare(y))) hash.update(name).update(a.body);
  const template = readFileSync(path.join(webDir, 'index.html'), 'utf8');
  hash.update(template);
  const version = hash.digest('hex').slice(0, 12);
  const base = `/studio/${version}/`;

  const importMap = JSON.stringify({
    imports: {
      preact: `${base}vendor/preact.mjs`,
      'preact/hooks': `${base}vendor/preact-hooks.mjs`,
      htm: `${base}vendor/htm.mjs`,
      'tus-js-client': `${base}vendor/tus.mjs`,
    },
  });
  const html = Buffer.from(template.replaceAll('{{BASE}}', base).replace('{{IMPORT_MAP}}', importMap));
  const importMapHash = createHash('sha256').update(importMap).digest('base64');
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${importMapHash}'`,
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');

  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path === '/' || req.path === '/index.html') {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('Content-Security-Policy', csp);
      res.end(req.method === 'HEAD' ? undefined : html);
      return;
    }
    const m = /^\/studio\/([0-9a-f]{12})\/(.+)$/.exec(req.path);
    const asset = m ? assets.get(m[2]!) : undefined;
    if (!m || !asset) return next();
    res.setHeader('Content-Type', asset.type);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // An old page asking for an old version gets today's file, but must not keep it.
    res.setHeader('Cache-Control', m[1] === version ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };
}
