import { of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { trackActivity } from '../../operators/trackActivity.js';
import { RunActivity } from '../../src/runActivity.js';
import type { Step } from '../../src/step.js';
import { entryStep, materialisedStep, testEntry } from '../support/steps.js';

describe('trackActivity operator', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('passes every step on unchanged, at the same frame, and follows each with the run\'s stage', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const activity = new RunActivity(() => testScheduler.now());
      const seen: string[] = [];
      const e = entryStep(testEntry(0, 'DCIM/1.jpg'));
      const m = materialisedStep(0, 'photo');
      const a: Step = { kind: 'album', album: { id: 'x', group: 'visual', files: [m.file, materialisedStep(1, 'photo').file] } };
      const d: Step = { kind: 'delivered', album: (a as Step & { kind: 'album' }).album, receipt: { items: ['1', '2'] } };
      const c: Step = { kind: 'checkpoint', nextIndex: 2 };
      const values = { e, m, a, d, c };
      const source = cold('-e--m--a--d--c-|', values);
      const subs = '       ^--------------!';
      const watched = source.pipe(trackActivity(activity));
      watched.subscribe(() => seen.push(`${testScheduler.now()} ${activity.where}`));
      expectObservable(watched).toBe('-e--m--a--d--c-|', values);
      expectSubscriptions(source.subscriptions).toBe([subs, subs]);
      flush();
      expect(seen).toEqual([
        '1 writing an entry to a temp file (DCIM/1.jpg)',
        '4 reading the archive',
        '7 delivering an album (file0 and 1 more)',
        '10 saving the manifest',
        '13 reading the archive',
      ]);
      expect(activity.lastMoved).toBe(13);
    });
  });

  it('puts the run at delivering an album when deliver announces that an album\'s delivery starts', () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const activity = new RunActivity(() => testScheduler.now());
      const album = { id: 'x', group: 'visual' as const, files: [materialisedStep(4, 'photo').file] };
      const values = { g: { kind: 'delivering', album } satisfies Step, c: { kind: 'checkpoint', nextIndex: 4 } satisfies Step };
      const watched = cold('-c-g-|', values).pipe(trackActivity(activity));
      const seen: string[] = [];
      watched.subscribe(() => seen.push(`${testScheduler.now()} ${activity.where}`));
      expectObservable(watched).toBe('-c-g-|', values);
      flush();
      expect(seen).toEqual(['1 reading the archive', '3 delivering an album (file4)']);
    });
  });

  it('puts the run at a deliberate wait while the free-space gate or /pause holds it, which is never idle', () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const activity = new RunActivity(() => testScheduler.now());
      const entry = testEntry(3, 'big.mp4');
      const values: Record<string, Step> = {
        p: { kind: 'paused', free: 1, needed: 2, entry },
        r: { kind: 'resumed', free: 3, entry },
        h: { kind: 'held', entry },
      };
      const stages: string[] = [];
      const watched = cold('-p----r--h-|', values).pipe(trackActivity(activity));
      watched.subscribe(() => stages.push(`${activity.where} idle ${activity.idleFor()}`));
      expectObservable(watched).toBe('-p----r--h-|', values);
      flush();
      expect(stages).toEqual([
        'waiting for free space (big.mp4) idle 0',
        'writing an entry to a temp file (big.mp4) idle 0',
        'paused (big.mp4) idle 0',
      ]);
    });
  });

  it('does not pull more than asked: a synchronous source through take(2) is read twice', () => {
    let pulled = 0;
    const activity = new RunActivity();
    const steps = Array.from({ length: 5 }, (_, i) => entryStep(testEntry(i, `f${i}`)));
    const source = of(...steps);
    const counted = source.pipe(trackActivity(activity));
    counted.pipe(take(2)).subscribe(() => pulled++);
    expect(pulled).toBe(2);
    expect(activity.subject).toBe('f1');
  });
});
