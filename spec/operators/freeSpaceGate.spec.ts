import { from, of, take, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { freeSpaceGate } from '../../operators/freeSpaceGate.js';
import type { DiskSpace } from '../../src/freeSpace.js';
import { checkDiskSpaceProbe } from '../../src/freeSpace.js';
import type { Step } from '../../src/step.js';
import { entryStep, testEntry } from '../support/steps.js';

const GB = 1_000_000_000;

/** A probe that answers from a list, one answer per call, repeating the last. */
function probeAnswering(...answers: DiskSpace[]) {
  const calls: number[] = [];
  const probe = () => {
    calls.push(calls.length);
    return of(answers[Math.min(calls.length - 1, answers.length - 1)]!);
  };
  return { probe, calls };
}

describe('freeSpaceGate operator', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('lets entries through at once while there is room', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = entryStep(testEntry(0, 'a.jpg'));
      const b = entryStep(testEntry(1, 'b.jpg'));
      const { probe } = probeAnswering({ free: 10 * GB, size: 100 * GB });
      const source = cold('-a-b-|', { a, b });
      const subs = '       ^----!';
      expectObservable(source.pipe(freeSpaceGate({ folder: '/tmp', probe, scheduler: testScheduler }))).toBe('-a-b-|', { a, b });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('pauses below the threshold, re-checks every 30 s, and resumes when space is back', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const entry = testEntry(0, 'a.jpg', { size: 500 });
      const a = entryStep(entry);
      const { probe } = probeAnswering(
        { free: 2 * GB, size: 100 * GB },
        { free: 2 * GB, size: 100 * GB },
        { free: 4 * GB, size: 100 * GB },
      );
      const source = cold('-a-|', { a });
      const expected = '   -p 59999ms (ra|)';
      expectObservable(source.pipe(freeSpaceGate({ folder: '/tmp', probe, scheduler: testScheduler }))).toBe(expected, {
        p: { kind: 'paused', free: 2 * GB, needed: 3 * GB + 500, entry },
        r: { kind: 'resumed', free: 4 * GB, entry },
        a,
      } satisfies Record<string, Step>);
    });
  });

  it('pauses when the entry itself would push free space below the threshold', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const entry = testEntry(0, 'big.mp4', { size: 2 * GB });
      const a = entryStep(entry);
      const { probe } = probeAnswering({ free: 4 * GB, size: 100 * GB }, { free: 6 * GB, size: 100 * GB });
      const source = cold('a|', { a });
      const expected = '   p 9999ms (ra|)';
      const gate = freeSpaceGate({ folder: '/tmp', probe, recheckEvery: 10_000, scheduler: testScheduler });
      expectObservable(source.pipe(gate)).toBe(expected, {
        p: { kind: 'paused', free: 4 * GB, needed: 5 * GB, entry },
        r: { kind: 'resumed', free: 6 * GB, entry },
        a,
      } satisfies Record<string, Step>);
    });
  });

  it('fails an entry that could not fit even on the empty volume, instead of waiting forever', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const entry = testEntry(0, 'huge.mkv', { size: 9 * GB });
      const { probe } = probeAnswering({ free: 5 * GB, size: 10 * GB });
      const source = cold('a|', { a: entryStep(entry) });
      expectObservable(source.pipe(freeSpaceGate({ folder: '/tmp', probe, scheduler: testScheduler }))).toBe('f|', {
        f: {
          kind: 'failed',
          entry,
          reason: 'no-room',
          detail: `needs ${9 * GB} bytes plus ${3 * GB} kept free, but the volume holds only ${10 * GB}`,
        },
      } satisfies Record<string, Step>);
    });
  });

  it('passes steps that take no space without probing', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const dir = entryStep(testEntry(0, 'd/', { kind: 'directory', size: 0 }));
      const empty = entryStep(testEntry(1, 'e.txt', { size: 0 }));
      const locked = entryStep(testEntry(2, 'l.txt', { encrypted: true }));
      const { probe, calls } = probeAnswering({ free: 0, size: 0 });
      const source = cold('-d-e-l-|', { d: dir, e: empty, l: locked });
      expectObservable(source.pipe(freeSpaceGate({ folder: '/tmp', probe, scheduler: testScheduler }))).toBe('-d-e-l-|', {
        d: dir,
        e: empty,
        l: locked,
      });
      testScheduler.flush();
      expect(calls).toHaveLength(0);
    });
  });

  it('trusts one probe for probeTtl, counting the bytes let through since', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const a = entryStep(testEntry(0, 'a', { size: GB }));
      const b = entryStep(testEntry(1, 'b', { size: GB }));
      const c = entryStep(testEntry(2, 'c', { size: GB }));
      const { probe, calls } = probeAnswering({ free: 5.5 * GB, size: 100 * GB }, { free: 9 * GB, size: 100 * GB });
      const source = cold('abc|', { a, b, c });
      // a fits (5.5 - 1 >= 3), b still fits on the estimate (5.5 - 1 - 1 >= 3)... c does not (2.5 < 4):
      // a fresh probe is due, which finds 9 GB.
      const gate = freeSpaceGate({ folder: '/tmp', probe, probeTtl: 1_000, scheduler: testScheduler });
      expectObservable(source.pipe(gate)).toBe('abc|', { a, b, c });
      testScheduler.flush();
      expect(calls).toHaveLength(2);
    });
  });

  it('forwards a probe error', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const a = entryStep(testEntry(0, 'a.jpg'));
      const probe = () => throwError(() => new Error('df failed'));
      const source = cold('-a-|', { a });
      expectObservable(source.pipe(freeSpaceGate({ folder: '/tmp', probe, scheduler: testScheduler }))).toBe(
        '-#',
        undefined,
        new Error('df failed'),
      );
    });
  });

  it('stops pulling a synchronous source once take(n) is satisfied', () => {
    let pulled = 0;
    function* entries() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield entryStep(testEntry(i, `e${i}`));
      }
    }
    const probe = () => of({ free: 100 * GB, size: 200 * GB });
    from(entries()).pipe(freeSpaceGate({ folder: '/tmp', probe }), take(3)).subscribe();
    expect(pulled).toBe(3);
  });

  it('measures a real folder with check-disk-space', async () => {
    const space = await checkDiskSpaceProbe(process.cwd());
    expect(space.size).toBeGreaterThan(0);
    expect(space.free).toBeGreaterThanOrEqual(0);
    expect(space.free).toBeLessThanOrEqual(space.size);
  });
});
