import { of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { releaseEntries } from '../../operators/releaseEntries.js';
import type { Album, Step } from '../../src/step.js';
import { entryStep, materialisedStep, type TestEntry, testEntry } from '../support/steps.js';

describe('releaseEntries operator', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('passes every step on unchanged and releases the entries it holds as it passes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const skippedEntry = testEntry(1, 'dir/');
      const first = materialisedStep(2, 'photo').file;
      const second = materialisedStep(3, 'photo').file;
      const trigger = testEntry(4, 'doc.pdf');
      const album: Album = { id: 'a', group: 'visual', files: [first, second], trigger };
      const values: Record<string, Step> = {
        s: { kind: 'skipped', entry: skippedEntry, reason: 'directory', detail: 'a directory' },
        c: { kind: 'checkpoint', nextIndex: 2 },
        d: { kind: 'delivered', album, receipt: { items: ['x', 'y'] } },
      };
      const releasedAt: Record<string, number[]> = {};
      for (const entry of [skippedEntry, first.entry, second.entry, trigger]) {
        const release = entry.release.bind(entry);
        entry.release = () => {
          (releasedAt[entry.name] ??= []).push(testScheduler.now());
          release();
        };
      }
      const source = cold('-s---c---d-|', values);
      const subs = '       ^----------!';
      expectObservable(source.pipe(releaseEntries())).toBe('-s---c---d-|', values);
      expectSubscriptions(source.subscriptions).toBe(subs);
      flush();
      expect(releasedAt).toEqual({ 'dir/': [1], file2: [9], file3: [9], 'doc.pdf': [9] });
    });
  });

  it('releases an album\'s entries as its delivery starts, when deliver runs an album ahead', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const first = materialisedStep(2, 'photo').file;
      const trigger = testEntry(3, 'next.jpg');
      const album: Album = { id: 'a', group: 'visual', files: [first], trigger };
      const values: Record<string, Step> = {
        g: { kind: 'delivering', album },
        c: { kind: 'checkpoint', nextIndex: 3 },
        d: { kind: 'delivered', album, receipt: { items: ['x'] } },
      };
      const releasedAt: Record<string, number[]> = {};
      for (const entry of [first.entry, trigger]) {
        const release = entry.release.bind(entry);
        entry.release = () => {
          (releasedAt[entry.name] ??= []).push(testScheduler.now());
          release();
        };
      }
      const source = cold('-g-----c-d-|', values);
      const subs = '       ^----------!';
      expectObservable(source.pipe(releaseEntries())).toBe('-g-----c-d-|', values);
      expectSubscriptions(source.subscriptions).toBe(subs);
      flush();
      // Released as the delivery starts; the outcome releases them again, which does nothing.
      expect(releasedAt).toEqual({ file2: [1, 9], 'next.jpg': [1, 9] });
      expect([(first.entry as TestEntry).releases, (trigger as TestEntry).releases]).toEqual([2, 2]);
    });
  });

  it('releases nothing for steps that hold no entry', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values: Record<string, Step> = { c: { kind: 'checkpoint', nextIndex: 0 }, b: { kind: 'broken', archive: 'a.tar', detail: 'cut short' } };
      expectObservable(cold('-c-b-|', values).pipe(releaseEntries())).toBe('-c-b-|', values);
    });
  });

  it('releases each entry before the subscriber sees its step, and pulls no more than asked (take(2))', () => {
    const entries = Array.from({ length: 5 }, (_, i) => testEntry(i, `f${i}`));
    const seen: string[] = [];
    of(...entries.map(entryStep))
      .pipe(releaseEntries(), take(2))
      .subscribe((step) => {
        const index = step.kind === 'entry' ? step.entry.index : -1;
        seen.push(`${entries[index]?.name} released ${entries[index]?.releases}`);
      });
    expect(seen).toEqual(['f0 released 1', 'f1 released 1']);
    expect(entries.map((entry) => entry.releases)).toEqual([1, 1, 0, 0, 0]);
  });
});
