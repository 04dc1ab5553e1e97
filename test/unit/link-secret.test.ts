import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linkSecretOf } from '../../src/services/link-secret.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vj-secret-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the link secret', () => {
  it('when LINK_SECRET is set, then it is the secret and nothing is written', async () => {
    expect((await linkSecretOf('a-configured-secret-of-some-length', dir)).toString()).toBe('a-configured-secret-of-some-length');
    await expect(stat(path.join(dir, 'link.secret'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('when none is set, then one is generated once, kept with mode 0600, and read back by every later start', async () => {
    const home = path.join(dir, 'data');
    const first = await linkSecretOf(undefined, home);
    const file = path.join(home, 'link.secret');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(first.toString()).toBe((await readFile(file, 'utf8')).trim());
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect((await linkSecretOf(undefined, home)).equals(first)).toBe(true);
  });

  it('when several processes start at once, then they all end up with the same secret', async () => {
    const secrets = await Promise.all(Array.from({ length: 8 }, () => linkSecretOf(undefined, dir)));
    for (const s of secrets) expect(s.equals(secrets[0]!)).toBe(true);
  });

  it('when the kept file holds too little, then start-up says so instead of signing with it', async () => {
    await writeFile(path.join(dir, 'link.secret'), 'abc\n');
    await expect(linkSecretOf(undefined, dir)).rejects.toThrow(/no usable secret/);
  });
});
