import { from, of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { classifyMedia } from '../../operators/classifyMedia.js';
import type { MediaType } from '../../src/entry.js';
import type { Step, TempFile } from '../../src/step.js';
import { entryStep, materialisedStep, testEntry } from '../support/steps.js';

describe('classifyMedia operator', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('sets the media type the sink will deliver a file as, waiting for the answer', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const photo = materialisedStep(1, 'photo');
      const entry = entryStep(testEntry(2, 'next'));
      const source = cold('-p-e--|', { p: photo, e: entry });
      const classify = () => cold<MediaType>('--d|', { d: 'document' });
      const asDocument: Step = { kind: 'materialised', file: { ...photo.file, media: 'document' } };
      expectObservable(source.pipe(classifyMedia(classify))).toBe('---de-|', { d: asDocument, e: entry });
    });
  });

  it('passes the very same step on when the type does not change', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const video = materialisedStep(1, 'video');
      const source = cold('-v|', { v: video });
      expectObservable(source.pipe(classifyMedia((file) => of(file.media)))).toBe('-v|', { v: video });
    });
  });

  it('keeps files in order when answers come back out of order', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const first = materialisedStep(1, 'photo');
      const second = materialisedStep(2, 'photo');
      const source = cold('ab|', { a: first, b: second });
      const delays: Record<number, string> = { 1: '---p|', 2: 'p|' };
      const classify = (file: TempFile) => cold<MediaType>(delays[file.entry.index]!, { p: 'photo' });
      expectObservable(source.pipe(classifyMedia(classify))).toBe('---ab|', { a: first, b: second });
    });
  });

  it('is a pass-through without a classifier', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const photo = materialisedStep(1, 'photo');
      const source = cold('-p|', { p: photo });
      expectObservable(source.pipe(classifyMedia())).toBe('-p|', { p: photo });
    });
  });

  it('stops pulling a synchronous source once take(n) is satisfied', () => {
    let pulled = 0;
    function* files() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield materialisedStep(i, 'photo') as Step;
      }
    }
    from(files()).pipe(classifyMedia((file) => of(file.media)), take(3)).subscribe();
    expect(pulled).toBe(3);
  });

  it('lets go of its source and of a pending answer when unsubscribed early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const photo = materialisedStep(1, 'photo');
      const source = cold('-p------|', { p: photo });
      const answer = cold<MediaType>('-----d|', { d: 'document' });
      const subs = '       ^---!';
      expectObservable(source.pipe(classifyMedia(() => answer)), subs).toBe('-----');
      expectSubscriptions(source.subscriptions).toBe(subs);
      expectSubscriptions(answer.subscriptions).toBe('-^--!');
    });
  });
});
