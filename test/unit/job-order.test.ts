import { describe, expect, it } from 'vitest';
import { orderByDependencies } from '../../src/domain/job-order.js';

const job = (id: string, dependsOn: string[] = []) => ({ id, dependsOn });

describe('orderByDependencies', () => {
  it('when a job depends on others in the set, then it comes after them', () => {
    const order = orderByDependencies([job('c', ['a', 'b']), job('a'), job('b', ['a'])]).map((j) => j.id);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('when dependencies are outside the set, then the given order is kept', () => {
    expect(orderByDependencies([job('x', ['gone']), job('y')]).map((j) => j.id)).toEqual(['x', 'y']);
  });

  it('when there is a cycle, then every job still appears once', () => {
    const order = orderByDependencies([job('a', ['b']), job('b', ['a'])]).map((j) => j.id);
    expect(order.sort()).toEqual(['a', 'b']);
  });
});
