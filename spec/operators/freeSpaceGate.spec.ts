import { from, of, take, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { freeSpaceGate } from '../../operators/freeSpaceGate.js';
import { AlbumsOnDisk } from '../../src/albumsOnDisk.js';
import type { DiskSpace } from '../../src/freeSpace.js';
import { checkDiskSpaceProbe } from '../../src/freeSpace.js';
import { type SpaceLedger, spaceLedger } from '../../src/spaceLedger.js';
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
      const locked = entryStep(testEntry(2, 'l.txt', { encrypted: 'no-password' }));
      const aes = entryStep(testEntry(3, 'x.txt', { encrypted: 'aes' }));
      const { probe, calls } = probeAnswering({ free: 0, size: 0 });
      const source = cold('-d-e-l-x-|', { d: dir, e: empty, l: locked, x: aes });
      expectObservable(source.pipe(freeSpaceGate({ folder: '/tmp', probe, scheduler: testScheduler }))).toBe('-d-e-l-x-|', {
        d: dir,
        e: empty,
        l: locked,
        x: aes,
      });
      testScheduler.flush();
      expect(calls).toHaveLength(0);
    });
  });

  it('holds an encrypted entry that a password will decrypt until there is room for it', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const entry = testEntry(0, 'secret.jpg', { size: 500, encrypted: 'password' });
      const a = entryStep(entry);
      const { probe } = probeAnswering({ free: 2 * GB, size: 100 * GB }, { free: 4 * GB, size: 100 * GB });
      const source = cold('-a-|', { a });
      expectObservable(source.pipe(freeSpaceGate({ folder: '/tmp', probe, scheduler: testScheduler }))).toBe('-p 29999ms (ra|)', {
        p: { kind: 'paused', free: 2 * GB, needed: 3 * GB + 500, entry },
        r: { kind: 'resumed', free: 4 * GB, entry },
        a,
      } satisfies Record<string, Step>);
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

  it('measures a real folder with the default probe (statfs)', async () => {
    const space = await checkDiskSpaceProbe(process.cwd());
    expect(space.size).toBeGreaterThan(0);
    expect(space.free).toBeGreaterThanOrEqual(0);
    expect(space.free).toBeLessThanOrEqual(space.size);
  });
});

describe('freeSpaceGate operator, sharing a space ledger', () => {
  let testScheduler: TestScheduler;
  const space = { free: 5 * GB, size: 100 * GB };
  const a1 = testEntry(0, 'a1.mkv', { size: 1.5 * GB });
  const a2 = testEntry(1, 'a2.jpg', { size: 0.2 * GB });
  const b1 = testEntry(0, 'b1.mkv', { size: 1.5 * GB });
  const values = {
    x: entryStep(a1),
    y: entryStep(a2),
    b: entryStep(b1),
    p: { kind: 'paused', free: 3.5 * GB, needed: 4.5 * GB, entry: b1 },
    r: { kind: 'resumed', free: 5 * GB, entry: b1 },
    s: { kind: 'resumed', free: 4.8 * GB, entry: b1 },
  } satisfies Record<string, Step>;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  // A gate that never resumes would re-check forever in virtual time: the spec gives up instead.
  const giveUp = '^ 40ms !';

  /** A gate over a probe that always finds 5 GB free, re-checking every 10 ms, probing every time. */
  const gate = (ledger: SpaceLedger) =>
    freeSpaceGate({ folder: '/tmp', probe: () => of(space), recheckEvery: 10, probeTtl: 0, ledger, scheduler: testScheduler });

  it('holds the second pipeline while the promise of the first would break the threshold, until its next entry replaces it', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const ledger = spaceLedger();
      const first = hot('   x--------------y---------', values);
      const second = hot('  --b----------------------', values);
      const expectedFirst = 'x--------------y---------';
      const expectedSecond = '--p-------------------(sb)';
      expectObservable(first.pipe(gate(ledger))).toBe(expectedFirst, values);
      expectObservable(second.pipe(gate(ledger)), giveUp).toBe(expectedSecond, values);
    });
  });

  it.each([
    ['an entry that takes no space', entryStep(testEntry(1, 'photos/', { kind: 'directory', size: 0 }))],
    ['a held step', { kind: 'held', entry: testEntry(1, 'a2.jpg') } satisfies Step],
  ])('ends the promise of the first pipeline at %s, by backpressure', (_, next) => {
    testScheduler.run(({ hot, expectObservable }) => {
      const ledger = spaceLedger();
      const first = hot('   x----n-------', { ...values, n: next });
      const second = hot('  --b----------', values);
      const expectedSecond = '--p---------(rb)';
      expectObservable(first.pipe(gate(ledger))).toBe('x----n-------', { ...values, n: next });
      expectObservable(second.pipe(gate(ledger)), giveUp).toBe(expectedSecond, values);
    });
  });

  it.each([
    ['completes', 'x-----|'],
    ['errors', 'x-----#'],
  ])('lets the second pipeline go once the first one %s', (_, marbles) => {
    testScheduler.run(({ hot, expectObservable }) => {
      const ledger = spaceLedger();
      const first = hot(marbles, values, new Error('archive broke'));
      const second = hot('  --b----------------------', values);
      const expectedSecond = '--p---------(rb)';
      expectObservable(first.pipe(gate(ledger))).toBe(marbles, values, new Error('archive broke'));
      expectObservable(second.pipe(gate(ledger)), giveUp).toBe(expectedSecond, values);
    });
  });

  it('lets the second pipeline go once the first one is unsubscribed', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const ledger = spaceLedger();
      const first = hot('   x------------', values);
      const unsub = '       ^-----!';
      const second = hot('  --b----------', values);
      const expectedSecond = '--p---------(rb)';
      expectObservable(first.pipe(gate(ledger)), unsub).toBe('x-----', values);
      expectObservable(second.pipe(gate(ledger)), giveUp).toBe(expectedSecond, values);
      expectSubscriptions(first.subscriptions).toBe(unsub);
    });
  });

  it('counts what other gates admitted since, when it trusts an earlier probe', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const ledger = spaceLedger();
      const entries = {
        a: entryStep(testEntry(0, 'a1', { size: GB })),
        c: entryStep(testEntry(1, 'a2', { size: GB })),
        b: entryStep(testEntry(0, 'b1', { size: GB })),
        d: entryStep(testEntry(1, 'b2', { size: GB })),
      };
      const probeA = probeAnswering({ free: 6 * GB, size: 100 * GB });
      const probeB = probeAnswering({ free: 6 * GB, size: 100 * GB });
      const first = hot('   a-----c-', entries);
      const second = hot('  --b-d---', entries);
      // b2 goes on B's own estimate (6 - 1 promised by A then - 1 admitted since = 4), but then A's
      // estimate is 6 - 3 admitted since = 3 < 4: a1, b1 and b2 may all be unwritten, so A probes.
      expectObservable(first.pipe(freeSpaceGate({ folder: '/a', probe: probeA.probe, ledger, scheduler: testScheduler }))).toBe('a-----c-', entries);
      expectObservable(second.pipe(freeSpaceGate({ folder: '/b', probe: probeB.probe, ledger, scheduler: testScheduler }))).toBe('--b-d---', entries);
      testScheduler.flush();
      expect([probeA.calls.length, probeB.calls.length]).toEqual([2, 1]);
    });
  });

  it('still counts what other gates had promised when it probed, when it trusts that probe', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const ledger = spaceLedger();
      const entries = {
        a: entryStep(testEntry(0, 'a1', { size: 1.5 * GB })),
        c: entryStep(testEntry(1, 'a2', { size: 1.5 * GB })),
        b: entryStep(testEntry(0, 'b1', { size: GB })),
        d: entryStep(testEntry(1, 'b/', { kind: 'directory', size: 0 })),
      };
      const probeA = probeAnswering({ free: 6 * GB, size: 100 * GB });
      const probeB = probeAnswering({ free: 6 * GB, size: 100 * GB });
      const first = hot('   --a---c-', entries);
      const second = hot('  b---d---', entries);
      // A probed while b1 was promised: b1 may have been written since, out of A's sight, though
      // B's promise has ended. So a2 needs a fresh probe: 6 - 1 (b1) - 1.5 (a1) = 3.5 < 4.5.
      expectObservable(first.pipe(freeSpaceGate({ folder: '/a', probe: probeA.probe, ledger, scheduler: testScheduler }))).toBe('--a---c-', entries);
      expectObservable(second.pipe(freeSpaceGate({ folder: '/b', probe: probeB.probe, ledger, scheduler: testScheduler }))).toBe('b---d---', entries);
      testScheduler.flush();
      expect([probeA.calls.length, probeB.calls.length]).toEqual([2, 1]);
    });
  });
});

describe('freeSpaceGate operator, with the albums on their way to the sink', () => {
  let testScheduler: TestScheduler;
  const entry = testEntry(0, 'a.jpg', { size: 500 });
  const low = { free: 2 * GB, size: 100 * GB };
  const high = { free: 4 * GB, size: 100 * GB };
  const values = {
    a: entryStep(entry),
    p: { kind: 'paused', free: 2 * GB, needed: 3 * GB + 500, entry },
    r: { kind: 'resumed', free: 4 * GB, entry },
  } satisfies Record<string, Step>;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** Albums on disk, the first `held` of them removed at the frames of `removals` (an `x` each). */
  function albumsOnDisk(held: number, removals: string, hot: (marbles: string) => { subscribe(next: () => void): unknown }) {
    const onDisk = new AlbumsOnDisk();
    for (let i = 0; i < held; i++) onDisk.add();
    hot(removals).subscribe(() => onDisk.remove());
    return onDisk;
  }

  it('waits without pausing while an album is on its way, and checks again the moment its files are deleted', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const onDisk = albumsOnDisk(1, '-----x', hot);
      const { probe, calls } = probeAnswering(low, high);
      const source = cold('-a-|', values);
      const subs = '       ^--!';
      expectObservable(source.pipe(freeSpaceGate({ folder: '/tmp', probe, onDisk, scheduler: testScheduler }))).toBe('-----(a|)', values);
      expectSubscriptions(source.subscriptions).toBe(subs);
      testScheduler.flush();
      expect(calls).toHaveLength(2);
    });
  });

  it('pauses when the album on its way is done with and there is still no room, re-checking every 30 s from then', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const onDisk = albumsOnDisk(1, '-----x', hot);
      const { probe } = probeAnswering(low, low, high);
      const source = cold('-a-|', values);
      expectObservable(source.pipe(freeSpaceGate({ folder: '/tmp', probe, onDisk, scheduler: testScheduler }))).toBe('-----p 29999ms (ra|)', values);
    });
  });

  it('when paused, checks again as soon as an album sent off behind the pause is done with, not 30 s later', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const onDisk = albumsOnDisk(0, '----------x', hot);
      // The albums operator sends the waiting files off behind the `paused` step: deliver counts them.
      hot('--x').subscribe(() => onDisk.add());
      const { probe } = probeAnswering(low, high);
      const source = cold('-a-|', values);
      expectObservable(source.pipe(freeSpaceGate({ folder: '/tmp', probe, onDisk, scheduler: testScheduler }))).toBe('-p--------(ra|)', values);
    });
  });

  it('does not miss an album done with between its check and its wait', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const onDisk = new AlbumsOnDisk();
      onDisk.add();
      onDisk.add();
      let calls = 0;
      // The first probe's answer comes after one of the two albums is done with.
      const probe = () => {
        calls++;
        if (calls === 1) onDisk.remove();
        return of(calls === 1 ? low : high);
      };
      const source = cold('-a-|', values);
      expectObservable(source.pipe(freeSpaceGate({ folder: '/tmp', probe, probeTtl: 0, onDisk, scheduler: testScheduler }))).toBe('-a-|', values);
      testScheduler.flush();
      expect(calls).toBe(2);
    });
  });
});
