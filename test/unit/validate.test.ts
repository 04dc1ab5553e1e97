import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { ConcatBody, TrimBody, toSeconds } from '../../src/http/schemas.js';
import { parseBody } from '../../src/http/validate.js';

const kindOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as DomainError).kind;
  }
};

describe('parseBody', () => {
  it.each([
    [{ start: 1, end: 2 }, 'ok'],
    [{ start: '00:00:01.5', end: 2, mode: 'copy' }, 'ok'],
    [{ start: -1, end: 2 }, 'validation'],
    [{ start: 1, end: 2, mode: 'fast' }, 'validation'],
    [{ start: 'soon', end: 2 }, 'validation'],
    [{ start: 1 }, 'bad_request'],
    [{ start: true, end: 2 }, 'bad_request'],
    [{ start: 1, end: 2, x: 1 }, 'bad_request'],
    [[1, 2], 'bad_request'],
    [null, 'bad_request'],
  ])('when a trim body is %j, then %s', (body, expected) => {
    expect(kindOf(() => parseBody(TrimBody, body))).toBe(expected);
  });

  it('when a concat has one id, then it is a bad value (422), not a bad shape', () => {
    expect(kindOf(() => parseBody(ConcatBody, { videoIds: ['3f1b0e62-6f5f-4c1e-9d1a-0a0a0a0a0a0a'] }))).toBe('validation');
  });

  it('when mode is omitted, then accurate is the default', () => {
    expect(parseBody(TrimBody, { start: 0, end: 1 }).mode).toBe('accurate');
  });
});

describe('toSeconds', () => {
  it.each([
    [2, 2],
    ['00:00:02', 2],
    ['01:02:03.250', 3723.25],
    ['0:00:05.5', 5.5],
  ])('when the time is %j, then %d seconds', (input, seconds) => {
    expect(toSeconds(input)).toBeCloseTo(seconds, 6);
  });
});
