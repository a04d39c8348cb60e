import { from, of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { recordAlbum } from '../../operators/recordAlbum.js';
import { Manifest } from '../../src/state/manifest.js';
import type { Album, Step } from '../../src/step.js';
import { materialisedStep, testEntry } from '../support/steps.js';

const identity = { source: 'a.zip', path: '/a.zip', size: 1, mtimeMs: 0, format: 'zip', fingerprint: 'f' };
const newManifest = () => Manifest.create('/nowhere/m.json', identity, { albumSize: 10 });
const albumOf = (id: string, ...indexes: number[]): Album => ({
  id,
  group: 'visual',
  files: indexes.map((i) => materialisedStep(i, 'photo').file),
});

describe('recordAlbum operator', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('holds each album until its in-flight record is saved', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const manifest = newManifest();
      const a: Step = { kind: 'album', album: albumOf('x', 3, 4) };
      const recorded: unknown[] = [];
      const save = () => {
        recorded.push(structuredClone(manifest.data.inFlight));
        return cold('--s|');
      };
      const source = cold('-a-----|', { a });
      const subs = '       ^------!';
      expectObservable(source.pipe(recordAlbum({ manifest, save }))).toBe('---a---|', { a });
      expectSubscriptions(source.subscriptions).toBe(subs);
      testScheduler.flush();
      // The record was in the manifest when the save began, before the album went on.
      expect(recorded).toEqual([{ x: { entries: [3, 4], group: 'visual' } }]);
    });
  });

  it('does not write again an album that is already in flight (a resumed run re-sending it)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const manifest = newManifest();
      manifest.inFlight('x', { entries: [3, 4], group: 'visual' });
      let saves = 0;
      const save = () => {
        saves++;
        return cold('--s|');
      };
      const a: Step = { kind: 'album', album: albumOf('x', 3, 4) };
      expectObservable(cold('-a-|', { a }).pipe(recordAlbum({ manifest, save }))).toBe('-a-|', { a });
      testScheduler.flush();
      expect(saves).toBe(0);
    });
  });

  it('passes other steps through without saving', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const manifest = newManifest();
      const skipped: Step = { kind: 'skipped', entry: testEntry(0, 'e'), reason: 'empty', detail: '' };
      expectObservable(cold('-s-|', { s: skipped }).pipe(recordAlbum({ manifest, save: () => cold('#') }))).toBe('-s-|', { s: skipped });
    });
  });

  it('forwards a failed save as an error, so no album reaches the sink unrecorded', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const manifest = newManifest();
      const a: Step = { kind: 'album', album: albumOf('x', 1) };
      const save = () => cold('-#', undefined, new Error('disk full'));
      expectObservable(cold('a-|', { a }).pipe(recordAlbum({ manifest, save }))).toBe('-#', undefined, new Error('disk full'));
    });
  });

  it('stops pulling a synchronous source once take(n) is satisfied', () => {
    let pulled = 0;
    function* albums() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield { kind: 'album', album: albumOf(`a${i}`, i) } satisfies Step;
      }
    }
    from(albums()).pipe(recordAlbum({ manifest: newManifest(), save: () => of(null) }), take(2)).subscribe();
    expect(pulled).toBe(2);
  });

  it('lets go of its source and of a save under way when unsubscribed early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const manifest = newManifest();
      const a: Step = { kind: 'album', album: albumOf('x', 3, 4) };
      const saving = cold('-----s|');
      const source = cold('-a------|', { a });
      const subs = '       ^---!';
      expectObservable(source.pipe(recordAlbum({ manifest, save: () => saving })), subs).toBe('-----');
      expectSubscriptions(source.subscriptions).toBe(subs);
      expectSubscriptions(saving.subscriptions).toBe('-^--!');
    });
  });
});
