import { describe, expect, it } from 'vitest';
import { Poller } from '../../../src/outbox/poller.js';
import { until } from '../../helpers/poll.js';

/** A pass that stays running until released, counting how often it ran. */
function gatedPass() {
  let runs = 0;
  let release: () => void = () => {};
  const pass = () => {
    runs++;
    return new Promise<void>((resolve) => (release = resolve));
  };
  return { pass, runs: () => runs, release: () => release() };
}

describe('Poller.kick', () => {
  it('when kicked while idle, then a pass runs at once, without waiting for the interval', async () => {
    const gate = gatedPass();
    const poller = new Poller(gate.pass, 60_000, () => {});
    poller.start();
    gate.release();
    await until('the first pass ended', 1_000, () => (gate.runs() === 1 ? true : undefined));
    await new Promise((r) => setImmediate(r));
    poller.kick();
    expect(gate.runs()).toBe(2);
    gate.release();
    await poller.stop();
  });

  it('when kicked while a pass is running, then one more pass runs right after it (that pass may have looked too early)', async () => {
    const gate = gatedPass();
    const poller = new Poller(gate.pass, 60_000, () => {});
    poller.start();
    poller.kick();
    poller.kick();
    expect(gate.runs()).toBe(1);
    gate.release();
    await until('the second pass started', 1_000, () => (gate.runs() === 2 ? true : undefined));
    gate.release();
    await new Promise((r) => setTimeout(r, 20));
    expect(gate.runs()).toBe(2);
    await poller.stop();
  });

  it('when stopped, then a kick made during the last pass runs nothing more', async () => {
    const gate = gatedPass();
    const poller = new Poller(gate.pass, 60_000, () => {});
    poller.start();
    poller.kick();
    const stopped = poller.stop();
    gate.release();
    await stopped;
    await new Promise((r) => setTimeout(r, 20));
    expect(gate.runs()).toBe(1);
  });
});
