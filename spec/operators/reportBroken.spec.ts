import { of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { reportBroken } from '../../operators/reportBroken.js';
import { ArchiveBrokenError, ArchiveError } from '../../src/errors.js';
import type { Step } from '../../src/step.js';
import { entryStep, testEntry } from '../support/steps.js';

describe('reportBroken operator', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('turns a break of the archive into a broken step naming the first entry lost, and completes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const values: Record<string, Step> = {
        e: entryStep(testEntry(0, 'a.jpg')),
        f: entryStep(testEntry(1, 'b.jpg')),
        b: { kind: 'broken', archive: 'photos.tar.gz', detail: 'the archive breaks after entry 2: unexpected end of file' },
      };
      const cut = new ArchiveBrokenError('photos.tar.gz', 2, 'cut short', { cause: new Error('unexpected end of file') });
      const source = cold('-e--f--#', values, cut);
      const subs = '       ^------!';
      expectObservable(source.pipe(reportBroken('photos.tar.gz'))).toBe('-e--f--(b|)', values);
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('passes any other error on: an archive that cannot be read at all fails the run', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const values: Record<string, Step> = { e: entryStep(testEntry(0, 'a.jpg')) };
      const unreadable = new ArchiveError('photos.zip', 'not a zip');
      expectObservable(cold('-e-#', values, unreadable).pipe(reportBroken('photos.zip'))).toBe('-e-#', values, unreadable);
    });
  });

  it('does not pull more than asked: a synchronous source through take(1) is read once', () => {
    let pulled = 0;
    const steps = Array.from({ length: 3 }, (_, i) => entryStep(testEntry(i, `f${i}`)));
    of(...steps)
      .pipe(reportBroken('a.tar'), take(1))
      .subscribe(() => pulled++);
    expect(pulled).toBe(1);
  });
});
