import { BehaviorSubject, from, Observable, take, tap, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { pauseGate } from '../../operators/pauseGate.js';
import { entriesOf, type Step } from '../../src/step.js';
import { entryStep, testEntry } from '../support/steps.js';

const bools = { t: true, f: false };

const entryA = testEntry(0, 'a.jpg');
const entryB = testEntry(1, 'b.jpg');
const values = {
  a: entryStep(entryA),
  b: entryStep(entryB),
  s: { kind: 'checkpoint', nextIndex: 1 },
  h: { kind: 'held', entry: entryB },
  r: { kind: 'released', entry: entryB },
  H: { kind: 'held', entry: entryA },
  R: { kind: 'released', entry: entryA },
} satisfies Record<string, Step>;

/**
 * A source as the archives are: it emits the next of `count` entries only once the current one is
 * released, and counts how many it has read.
 */
function releasingSource(count: number) {
  const read = { count: 0 };
  const steps = new Observable<Step>((subscriber) => {
    const next = () => {
      if (read.count === count) return subscriber.complete();
      const index = read.count++;
      subscriber.next(entryStep(testEntry(index, `e${index}`, { release: next })));
    };
    next();
  });
  return { steps, read };
}

describe('pauseGate operator', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('passes every step through unchanged while never paused', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const paused = hot('  f---------', bools);
      const source = cold(' -a-s-b-|', values);
      const subs = '        ^------!';
      const expected = '    -a-s-b-|';
      expectObservable(source.pipe(pauseGate({ paused }))).toBe(expected, values);
      expectSubscriptions(source.subscriptions).toBe(subs);
      expectSubscriptions(paused.subscriptions).toBe(subs);
    });
  });

  it('holds an entry that arrives while paused and lets it go when resumed', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const paused = hot('  f--t-------f----', bools);
      const source = cold(' -a---b----------|', values);
      const expected = '    -a---h-----(rb)-|';
      expectObservable(source.pipe(pauseGate({ paused }))).toBe(expected, values);
    });
  });

  it('holds the first entry when paused before any entry arrives', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const paused = new BehaviorSubject(true);
      const source = cold(' a--------|', values);
      const resume = cold(' -----f', bools);
      const expected = '    H----(RA)|';
      resume.subscribe((value) => paused.next(value));
      expectObservable(source.pipe(pauseGate({ paused }))).toBe(expected, { ...values, A: values.a });
    });
  });

  it('emits nothing when paused is switched on and off while no entry is held', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const paused = hot('  f-t-f-t-f-----', bools);
      const source = cold(' a---------b-s|', values);
      const expected = '    a---------b-s|';
      expectObservable(source.pipe(pauseGate({ paused }))).toBe(expected, values);
    });
  });

  it('passes other steps through while an entry is held, and keeps their order behind it', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const paused = hot('  t-----f----', bools);
      const source = cold(' s-a-s------|', values);
      const expected = '    s-H---(RAs)|';
      expectObservable(source.pipe(pauseGate({ paused }))).toBe(expected, { ...values, A: values.a });
    });
  });

  it('completes only after the held entry has been released', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const paused = hot('  t-------f---', bools);
      const source = cold(' a-|', values);
      const sourceSubs = '  ^-!';
      const pausedSubs = '  ^-------!';
      const expected = '    H-------(RA|)';
      expectObservable(source.pipe(pauseGate({ paused }))).toBe(expected, { ...values, A: values.a });
      expectSubscriptions(source.subscriptions).toBe(sourceSubs);
      expectSubscriptions(paused.subscriptions).toBe(pausedSubs);
    });
  });

  it('opens for good when paused completes, since nothing could resume the run', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const paused = hot('  t---|', bools);
      const source = cold(' a-------b-|', values);
      const expected = '    H---(RA)b-|';
      expectObservable(source.pipe(pauseGate({ paused }))).toBe(expected, { ...values, A: values.a });
    });
  });

  it('forwards an error of the source, even while an entry is held', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const paused = hot('  t-------', bools);
      const source = cold(' a--#', values, new Error('archive broke'));
      const subs = '        ^--!';
      expectObservable(source.pipe(pauseGate({ paused }))).toBe('H--#', values, new Error('archive broke'));
      expectSubscriptions(paused.subscriptions).toBe(subs);
    });
  });

  it('forwards an error of paused and stops reading the source', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const paused = hot('  f--#', bools, new Error('bot gone'));
      const source = cold(' -a----b-|', values);
      const subs = '        ^--!';
      expectObservable(source.pipe(pauseGate({ paused }))).toBe('-a-#', values, new Error('bot gone'));
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('fails at once, without subscribing to the source, when paused has failed already', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const paused = throwError(() => new Error('bot gone'));
      const source = cold(' a-|', values);
      expectObservable(source.pipe(pauseGate({ paused }))).toBe('#', values, new Error('bot gone'));
      expectSubscriptions(source.subscriptions).toBe([]);
    });
  });

  it('lets go of the source and of paused when unsubscribed while holding', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const paused = hot('  t---------f', bools);
      const source = cold(' a-------|', values);
      const unsub = '       ^----!';
      const subs = '        ^----!';
      expectObservable(source.pipe(pauseGate({ paused })), unsub).toBe('H----', values);
      expectSubscriptions(source.subscriptions).toBe(subs);
      expectSubscriptions(paused.subscriptions).toBe(subs);
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
    from(entries()).pipe(pauseGate({ paused: new BehaviorSubject(false) }), take(3)).subscribe();
    expect(pulled).toBe(3);
  });

  it('reads nothing more from a source that waits for releases while paused, and everything once resumed', () => {
    const paused = new BehaviorSubject(false);
    const { steps, read } = releasingSource(5);
    const kinds: string[] = [];
    steps
      .pipe(
        tap((step) => {
          if (step.kind === 'entry' && step.entry.index === 1) paused.next(true);
        }),
        pauseGate({ paused }),
        tap((step) => kinds.push(step.kind)),
      )
      .subscribe((step) => {
        for (const entry of entriesOf(step)) entry.release();
      });
    expect(read.count).toBe(2);
    expect(kinds).toEqual(['entry', 'held']);
    paused.next(false);
    expect(read.count).toBe(5);
    expect(kinds).toEqual(['entry', 'held', 'released', 'entry', 'entry', 'entry', 'entry']);
  });
});
