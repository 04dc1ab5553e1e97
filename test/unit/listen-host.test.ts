import { describe, expect, it } from 'vitest';
import { planListen } from '../../src/http/listen-host.js';

describe('planListen', () => {
  it('when no key protects the API and HOST is unset, then it listens on 127.0.0.1 and is not open', () => {
    expect(planListen(undefined, false)).toEqual({ host: '127.0.0.1', open: false, loopbackByDefault: true });
  });

  it('when a key protects the API and HOST is unset, then it listens on every interface', () => {
    expect(planListen(undefined, true)).toEqual({ host: undefined, open: false, loopbackByDefault: false });
  });

  it.each([
    ['0.0.0.0', false, true],
    ['::', false, true],
    ['0.0.0.0', true, false],
    ['127.0.0.1', false, false],
    ['::1', false, false],
  ])('when HOST=%s and a key is required: %s, then open is %s', (host, keyRequired, open) => {
    expect(planListen(host, keyRequired)).toMatchObject({ host, open, loopbackByDefault: false });
  });
});
