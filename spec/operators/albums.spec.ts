import { from, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { albums, groupOf } from '../../operators/albums.js';
import type { Album, Step, TempFile } from '../../src/step.js';
import { materialisedStep, testEntry } from '../support/steps.js';

function ids() {
  let n = 0;
  return () => `album-${++n}`;
}

function album(id: string, group: Album['group'], files: Step[], trigger?: Step): Step {
  const tempFiles = files.map((step) => (step as { file: TempFile }).file);
  const triggerEntry = trigger ? (trigger as { file: TempFile }).file.entry : undefined;
  return { kind: 'album', album: { id, group, files: tempFiles, ...(triggerEntry ? { trigger: triggerEntry } : {}) } };
}

describe('albums operator', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits an album when a group is full and the rest when the source completes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const p = [1, 2, 3, 4].map((i) => materialisedStep(i, 'photo'));
      const values = { a: p[0]!, b: p[1]!, c: p[2]!, d: p[3]! };
      const source = cold('-a-b-c-d-|', values);
      const subs = '       ^--------!';
      const expected = '   -----x---(y|)';
      expectObservable(source.pipe(albums({ size: 3, albumId: ids() }))).toBe(expected, {
        x: album('album-1', 'visual', [p[0]!, p[1]!, p[2]!], p[2]),
        y: album('album-2', 'visual', [p[3]!]),
      });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('lets photos and videos share an album but keeps audio and documents apart', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const photo = materialisedStep(1, 'photo');
      const video = materialisedStep(2, 'video');
      const song = materialisedStep(3, 'audio');
      const text = materialisedStep(4, 'document');
      const source = cold('-p-v-s-t-|', { p: photo, v: video, s: song, t: text });
      const expected = '   ---------(xyz|)';
      expectObservable(source.pipe(albums({ size: 10, albumId: ids() }))).toBe(expected, {
        x: album('album-1', 'visual', [photo, video]),
        y: album('album-2', 'audio', [song]),
        z: album('album-3', 'document', [text]),
      });
    });
  });

  it('sends the oldest group early when the files waiting across groups reach the album size', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const p1 = materialisedStep(1, 'photo');
      const p2 = materialisedStep(2, 'photo');
      const a1 = materialisedStep(3, 'audio');
      const source = cold('-a-b-c-|', { a: p1, b: p2, c: a1 });
      const expected = '   -----x-(y|)';
      expectObservable(source.pipe(albums({ size: 3, albumId: ids() }))).toBe(expected, {
        x: album('album-1', 'visual', [p1, p2], a1),
        y: album('album-2', 'audio', [a1]),
      });
    });
  });

  it('passes other steps through in order', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const skipped: Step = { kind: 'skipped', entry: testEntry(0, 'dir/'), reason: 'directory', detail: 'a directory' };
      const photo = materialisedStep(1, 'photo');
      const source = cold('-s-p-|', { s: skipped, p: photo });
      const expected = '   -s---(x|)';
      expectObservable(source.pipe(albums({ albumId: ids() }))).toBe(expected, {
        s: skipped,
        x: album('album-1', 'visual', [photo]),
      });
    });
  });

  it('sends every open group right behind a held step, oldest first', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const p1 = materialisedStep(1, 'photo');
      const a1 = materialisedStep(2, 'audio');
      const held: Step = { kind: 'held', entry: testEntry(3, 'next.jpg') };
      const source = cold('-p-a-h----|', { p: p1, a: a1, h: held });
      const subs = '       ^---------!';
      const expected = '   -----(hxy)|';
      expectObservable(source.pipe(albums({ albumId: ids() }))).toBe(expected, {
        h: held,
        x: album('album-1', 'visual', [p1]),
        y: album('album-2', 'audio', [a1]),
      });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('sends every open group right behind a step saying the run waits for disk space', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const p1 = materialisedStep(1, 'photo');
      const p2 = materialisedStep(2, 'photo');
      const waiting: Step = { kind: 'paused', free: 10, needed: 20, entry: testEntry(3, 'next.jpg') };
      const source = cold('-p-q-w----|', { p: p1, q: p2, w: waiting });
      const subs = '       ^---------!';
      const expected = '   -----(wx)-|';
      expectObservable(source.pipe(albums({ albumId: ids() }))).toBe(expected, {
        w: waiting,
        x: album('album-1', 'visual', [p1, p2]),
      });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('passes a held step alone when no files are waiting', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const p1 = materialisedStep(1, 'photo');
      const p2 = materialisedStep(2, 'photo');
      const held: Step = { kind: 'held', entry: testEntry(3, 'next.jpg') };
      const source = cold('-a-b-h-|', { a: p1, b: p2, h: held });
      const expected = '   ---x-h-|';
      expectObservable(source.pipe(albums({ size: 2, albumId: ids() }))).toBe(expected, {
        h: held,
        x: album('album-1', 'visual', [p1, p2], p2),
      });
    });
  });

  it('forwards an error without emitting the open groups', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const photo = materialisedStep(1, 'photo');
      const source = cold('-p-#', { p: photo }, new Error('archive broke'));
      expectObservable(source.pipe(albums({ albumId: ids() }))).toBe('---#', undefined, new Error('archive broke'));
    });
  });

  it('releases a file that waits, and holds the one that made an album go', () => {
    const waiting = materialisedStep(1, 'photo');
    const filling = materialisedStep(2, 'photo');
    from([waiting, filling]).pipe(albums({ size: 2 })).subscribe();
    expect((waiting.file.entry as ReturnType<typeof testEntry>).releases).toBe(1);
    expect((filling.file.entry as ReturnType<typeof testEntry>).releases).toBe(0);
  });

  it('stops pulling a synchronous source once take(n) is satisfied', () => {
    let pulled = 0;
    function* files() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield materialisedStep(i, 'document');
      }
    }
    from(files()).pipe(albums({ size: 2 }), take(1)).subscribe();
    expect(pulled).toBe(2);
  });

  it('refuses an album size outside 2 to 10, naming the value', () => {
    expect(() => albums({ size: 11 })).toThrow('Expected `size` to be an integer from 2 to 10, got `11` (number)');
    expect(() => albums({ size: 1 })).toThrow(TypeError);
  });

  it('groups media by the Telegram mixing rule', () => {
    expect([groupOf('photo'), groupOf('video'), groupOf('audio'), groupOf('document')]).toEqual([
      'visual',
      'visual',
      'audio',
      'document',
    ]);
  });
});


describe('albums operator, rebuilding the albums of a crashed run', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('forms a planned album again from its own entries under its own id', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const p1 = materialisedStep(1, 'photo');
      const doc = materialisedStep(2, 'document');
      const p3 = materialisedStep(3, 'photo');
      const planned = new Map([['old-id', { group: 'visual' as const, entries: [1, 3] }]]);
      const source = cold('-a-b-c-|', { a: p1, b: doc, c: p3 });
      expectObservable(source.pipe(albums({ size: 10, albumId: ids(), planned }))).toBe('-----x-(y|)', {
        x: album('old-id', 'visual', [p1, p3], p3),
        y: album('album-1', 'document', [doc]),
      });
    });
  });

  it('sends a planned album without an entry that can no longer be read, after that entry is reported', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const p1 = materialisedStep(1, 'photo');
      const lost = testEntry(2, 'gone.jpg');
      const failed: Step = { kind: 'failed', entry: lost, reason: 'crc-mismatch', detail: 'corrupt' };
      const planned = new Map([['old-id', { group: 'visual' as const, entries: [1, 2] }]]);
      const source = cold('-a-f---|', { a: p1, f: failed });
      const tempFile = (p1 as { file: TempFile }).file;
      expectObservable(source.pipe(albums({ albumId: ids(), planned }))).toBe('---(fx)|', {
        f: failed,
        x: { kind: 'album', album: { id: 'old-id', group: 'visual', files: [tempFile], trigger: lost } },
      });
    });
  });

  it('keeps a planned album waiting for its own entries when a held step passes', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const p1 = materialisedStep(1, 'photo');
      const doc = materialisedStep(2, 'document');
      const p3 = materialisedStep(3, 'photo');
      const held: Step = { kind: 'held', entry: testEntry(3, 'file3') };
      const planned = new Map([['old-id', { group: 'visual' as const, entries: [1, 3] }]]);
      const source = cold('-a-b-h---c-|', { a: p1, b: doc, h: held, c: p3 });
      expectObservable(source.pipe(albums({ albumId: ids(), planned }))).toBe('-----(hy)c-|', {
        h: held,
        y: album('album-1', 'document', [doc]),
        c: album('old-id', 'visual', [p1, p3], p3),
      });
    });
  });

  it('sends what arrived of a planned album when the source ends early', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const p1 = materialisedStep(1, 'photo');
      const planned = new Map([['old-id', { group: 'visual' as const, entries: [1, 2] }]]);
      expectObservable(cold('-a-|', { a: p1 }).pipe(albums({ albumId: ids(), planned }))).toBe('---(x|)', {
        x: album('old-id', 'visual', [p1]),
      });
    });
  });

  it('lets go of its source when unsubscribed early, emitting nothing it still held', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const p = [1, 2, 3].map((i) => materialisedStep(i, 'photo'));
      const source = cold('-a-b-----c-|', { a: p[0]!, b: p[1]!, c: p[2]! });
      const subs = '       ^----!';
      expectObservable(source.pipe(albums({ size: 3, albumId: ids() })), subs).toBe('------');
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });
});
