import { describe, expect, it } from 'vitest';
import { JOB_STATUSES, canTransition, isFinished, statusesAllowedBefore, type JobStatus } from '../../src/domain/job.js';

describe('job state machine', () => {
  it('when a job moves forward as the contract says, then each step is allowed', () => {
    const path: JobStatus[] = ['pending', 'queued', 'in_progress', 'completed'];
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
    expect(canTransition('in_progress', 'failed')).toBe(true);
    expect(canTransition('failed', 'queued')).toBe(true);
  });

  it.each([
    ['completed', 'queued'],
    ['completed', 'cancelled'],
    ['cancelled', 'queued'],
    ['queued', 'pending'],
    ['in_progress', 'queued'],
    ['pending', 'in_progress'],
    ['pending', 'completed'],
    ['failed', 'completed'],
  ] as [JobStatus, JobStatus][])('when a job would move %s → %s, then it is refused', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('when cancelling, then only pending, queued and running jobs qualify', () => {
    expect(statusesAllowedBefore('cancelled').sort()).toEqual(['in_progress', 'pending', 'queued']);
  });

  it('when asked which states are finished, then completed, failed and cancelled', () => {
    expect(JOB_STATUSES.filter(isFinished)).toEqual(['completed', 'failed', 'cancelled']);
  });
});
