import { describe, expect, it } from 'vitest';
import { realWait, retryBudget, retryDefaults, retrying, type Verdict, type Wait } from '../src/retry.js';

/** A clock that only the waits move: every wait is recorded and passes at once. */
function virtualTime() {
  let now = 0;
  const waits: number[] = [];
  const wait: Wait = async (milliseconds) => {
    waits.push(milliseconds);
    now += milliseconds;
  };
  return { waits, wait, now: () => now };
}

/** An attempt that fails with each of `failures` in turn, then answers `done`. */
function failing(...failures: Error[]) {
  let calls = 0;
  const attempt = async () => {
    calls += 1;
    const failure = failures.shift();
    if (failure) throw failure;
    return 'done';
  };
  return { attempt, calls: () => calls };
}

const transient = new Error('timed out');
const offline = new Error('connection refused');
const final = new Error('no such file');
/** A server that asks to be left alone for `after` milliseconds (`Retry-After`). */
class Busy extends Error {
  constructor(readonly after: number) {
    super('429 Too Many Requests');
  }
}

function classify(error: unknown): Verdict {
  if (error === final) return { retry: false };
  if (error instanceof Busy) return { retry: true, after: error.after };
  return { retry: true, offline: error === offline };
}

describe('retrying', () => {
  it('has one set of defaults: 5 attempts, 1 s doubling, no network wait, offline waits of at most 30 s', () => {
    expect(retryDefaults).toEqual({ attempts: 5, backoff: 1000, networkWait: 0, maxOfflineBackoff: 30_000 });
  });

  it('answers what the first successful attempt returns, after waits of 1 s, 2 s, 4 s', async () => {
    const { waits, wait } = virtualTime();
    const { attempt, calls } = failing(transient, transient, transient);
    await expect(retrying(attempt, { classify, wait })).resolves.toBe('done');
    expect(calls()).toBe(4);
    expect(waits).toEqual([1000, 2000, 4000]);
  });

  it('gives up after `attempts` failures in a row, with the last error as it is', async () => {
    const { waits, wait } = virtualTime();
    const failures = Array.from({ length: 6 }, (_, index) => new Error(`timed out ${index + 1}`));
    const { attempt, calls } = failing(...failures);
    await expect(retrying(attempt, { classify, wait })).rejects.toBe(failures[4]);
    expect(calls()).toBe(5);
    expect(waits).toEqual([1000, 2000, 4000, 8000]);
  });

  it('doubles from the backoff given, and gives up through giveUp with the count', async () => {
    const { waits, wait } = virtualTime();
    const { attempt } = failing(transient, transient, transient);
    const giveUp = (error: unknown, { failures }: { failures: number }) => new Error(`${(error as Error).message} (gave up after ${failures} attempts)`);
    await expect(retrying(attempt, { classify, wait, attempts: 3, backoff: 250, giveUp })).rejects.toThrow(new Error('timed out (gave up after 3 attempts)'));
    expect(waits).toEqual([250, 500]);
  });

  it('waits what the verdict asks for (Retry-After) instead of the backoff', async () => {
    const { waits, wait } = virtualTime();
    const { attempt } = failing(transient, new Busy(7000), transient);
    await expect(retrying(attempt, { classify, wait })).resolves.toBe('done');
    expect(waits).toEqual([1000, 7000, 4000]);
  });

  it('passes a final error through at once, without a wait', async () => {
    const { waits, wait } = virtualTime();
    const { attempt, calls } = failing(final, transient);
    await expect(retrying(attempt, { classify, wait, giveUp: () => new Error('not this') })).rejects.toBe(final);
    expect(calls()).toBe(1);
    expect(waits).toEqual([]);
  });

  it('counts failures in a row only: progress makes the next one the first again', async () => {
    const { waits, wait } = virtualTime();
    const budget = retryBudget({ classify, wait, attempts: 3 });
    await budget.failed(transient);
    await budget.failed(transient);
    budget.progress();
    await budget.failed(transient);
    await budget.failed(transient);
    await expect(budget.failed(transient)).rejects.toBe(transient);
    expect(waits).toEqual([1000, 2000, 1000, 2000]);
  });

  it('keeps trying offline failures past `attempts` for the network wait, 30 s apart at most, then gives up', async () => {
    const { waits, wait, now } = virtualTime();
    const { attempt, calls } = failing(...Array.from({ length: 20 }, () => offline));
    const exhausted: unknown[] = [];
    const giveUp = (error: unknown, how: unknown) => {
      exhausted.push(how);
      return new Error('unreachable');
    };
    await expect(retrying(attempt, { classify, wait, now, attempts: 2, networkWait: 100_000, giveUp })).rejects.toThrow(new Error('unreachable'));
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(calls()).toBe(9);
    expect(exhausted).toEqual([{ failures: 9, offline: true, offlineFor: 121_000 }]);
  });

  it('ends a stretch of offline failures at the first failure that got an answer', async () => {
    const { waits, wait, now } = virtualTime();
    const { attempt } = failing(offline, offline, offline, transient);
    await expect(retrying(attempt, { classify, wait, now, attempts: 2, networkWait: 60_000 })).rejects.toBe(transient);
    expect(waits).toEqual([1000, 2000, 4000]);
  });

  it('stops waiting when the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const wait: Wait = (milliseconds, signal) =>
      new Promise((_, reject) => {
        started.push(milliseconds);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    const stopped = new Error('stopped');
    const running = retrying(failing(transient).attempt, { classify, wait }, controller.signal);
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toEqual([1000]);
    controller.abort(stopped);
    await expect(running).rejects.toBe(stopped);
  });

  it('ends the real timer early on abort, with an AbortError caused by the reason', async () => {
    const controller = new AbortController();
    const stopped = new Error('stopped');
    const waiting = realWait(60_000, controller.signal);
    controller.abort(stopped);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError', cause: stopped });
  });
});
