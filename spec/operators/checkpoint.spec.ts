import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, of, take, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkpoint } from '../../operators/checkpoint.js';
import { Manifest, type ManifestData } from '../../src/state/manifest.js';
import type { Album, Step } from '../../src/step.js';
import { materialisedStep, testEntry } from '../support/steps.js';

const identity = { source: 'a.zip', path: '/a.zip', size: 1, mtimeMs: 0, format: 'zip', fingerprint: 'f' };
const newManifest = (file = '/nowhere/m.json') => Manifest.create(file, identity, { albumSize: 10 });
const albumOf = (id: string, ...indexes: number[]): Album => ({
  id,
  group: 'visual',
  files: indexes.map((i) => materialisedStep(i, 'photo').file),
});

describe('checkpoint operator', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('saves after each confirmed album and at the end, and emits the step after its save', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const manifest = newManifest();
      const skipped: Step = { kind: 'skipped', entry: testEntry(0, 'a/'), reason: 'directory', detail: 'a directory' };
      const delivered: Step = { kind: 'delivered', album: albumOf('x', 1, 2), receipt: { items: ['1', '2'] } };
      const saves: number[] = [];
      const save = () => {
        saves.push(testScheduler.now());
        return cold('--s|');
      };
      const source = cold('-s-D-----|', { s: skipped, D: delivered });
      const subs = '       ^--------!';
      const expected = '   -s---(cD)--(c|)';
      expectObservable(source.pipe(checkpoint({ manifest, save, log: () => of(null) }))).toBe(expected, {
        s: skipped,
        D: delivered,
        c: { kind: 'checkpoint', nextIndex: 3 },
      } satisfies Record<string, Step>);
      expectSubscriptions(source.subscriptions).toBe(subs);
      testScheduler.flush();
      expect(saves).toEqual([3, 9]);
    });
  });

  it('records delivered, skipped and failed entries and the next index', async () => {
    const manifest = newManifest();
    const steps: Step[] = [
      { kind: 'skipped', entry: testEntry(0, 'dir/'), reason: 'directory', detail: 'a directory' },
      { kind: 'delivered', album: albumOf('x', 1, 2), receipt: { items: ['1', '2'] } },
      { kind: 'failed', entry: testEntry(4, 'bad.jpg'), reason: 'crc-mismatch', detail: 'corrupt' },
      { kind: 'undelivered', album: albumOf('y', 5), reason: 'write-error', detail: 'disk gone', attempts: 3 },
    ];
    await lastValueFrom(from(steps).pipe(checkpoint({ manifest, save: () => of(null), log: () => of(null) })));
    const data: ManifestData = manifest.data;
    expect(data.delivered).toEqual([[1, 2]]);
    expect(data.albumsDelivered).toBe(1);
    expect(data.deliveredBytes).toBe(200);
    expect(data.outcomes).toEqual({
      0: { state: 'skipped', name: 'dir/', reason: 'directory', detail: 'a directory' },
      4: { state: 'failed', name: 'bad.jpg', reason: 'crc-mismatch', detail: 'corrupt' },
      5: { state: 'failed', name: 'file5', reason: 'write-error', detail: 'disk gone', attempts: 3 },
    });
    // Entry 3 was never settled (it may still be waiting in an open group), so resuming starts there.
    expect(data.nextIndex).toBe(3);
  });

  it('writes the manifest to disk by default', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'unspool-checkpoint-'));
    try {
      const manifest = newManifest(join(folder, 'manifests', 'm.json'));
      const steps = await lastValueFrom(
        of<Step>({ kind: 'delivered', album: albumOf('x', 0), receipt: { items: ['1'] } }).pipe(checkpoint({ manifest }), toArray()),
      );
      expect(steps.map((step) => step.kind)).toEqual(['checkpoint', 'delivered', 'checkpoint']);
      const saved = JSON.parse(await readFile(join(folder, 'manifests', 'm.json'), 'utf8')) as ManifestData;
      expect(saved.delivered).toEqual([[0, 0]]);
      expect(saved.nextIndex).toBe(1);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('stops pulling a synchronous source once take(n) is satisfied', () => {
    let pulled = 0;
    function* steps() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield { kind: 'skipped', entry: testEntry(i, `e${i}`), reason: 'empty', detail: '' } satisfies Step;
      }
    }
    from(steps()).pipe(checkpoint({ manifest: newManifest(), save: () => of(null) }), take(3)).subscribe();
    expect(pulled).toBe(3);
  });

  it('lets go of its source and of a save under way when unsubscribed early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const manifest = newManifest();
      const delivered: Step = { kind: 'delivered', album: albumOf('x', 1, 2), receipt: { items: ['1', '2'] } };
      const saving = cold('-----s|');
      const source = cold('-D------|', { D: delivered });
      const subs = '       ^---!';
      expectObservable(source.pipe(checkpoint({ manifest, save: () => saving, log: () => of(null) })), subs).toBe('-----');
      expectSubscriptions(source.subscriptions).toBe(subs);
      expectSubscriptions(saving.subscriptions).toBe('-^--!');
    });
  });
});

