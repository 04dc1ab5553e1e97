import { describe, expect, it } from 'vitest';
import { parseRange } from '../../src/http/range.js';

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', { kind: 'single', start: 0, end: 9 }],
    ['bytes=10-', { kind: 'single', start: 10, end: 99 }],
    ['bytes=-10', { kind: 'single', start: 90, end: 99 }],
    ['bytes=-500', { kind: 'single', start: 0, end: 99 }],
    ['bytes=90-500', { kind: 'single', start: 90, end: 99 }],
    ['bytes=0-0,5-6', { kind: 'none' }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=5-2', { kind: 'unsatisfiable' }],
    ['bytes=abc', { kind: 'unsatisfiable' }],
    ['bytes=-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['items=0-1', { kind: 'unsatisfiable' }],
    ['bytes=99999999999999999999-', { kind: 'unsatisfiable' }],
  ])('when the header is %s on 100 bytes, then %j', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected);
  });

  it('when there is no header, then the whole file', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'none' });
  });
});
