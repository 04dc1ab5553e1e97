import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keptSecret } from '../../src/security/kept-secret.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('keptSecret', () => {
  it('when called many times at once on a new file, then every caller gets the same secret, kept with mode 0600 and no temp left', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vj-secret-'));
    const file = path.join(dir, 'nested', 'secret');
    let n = 0;
    const got = await Promise.all(Array.from({ length: 8 }, () => keptSecret(file, () => `secret-${n++}`)));
    expect(new Set(got).size).toBe(1);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(path.dirname(file))).toEqual(['secret']);
    expect(await keptSecret(file, () => 'another')).toBe(got[0]);
  });
});
