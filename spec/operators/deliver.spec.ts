import { from, type Observable, of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { deliver } from '../../operators/deliver.js';
import { AlbumsOnDisk } from '../../src/albumsOnDisk.js';
import { SinkError } from '../../src/errors.js';
import type { Sink } from '../../src/sinks/sink.js';
import type { Album, Receipt, Step } from '../../src/step.js';
import { materialisedStep, testEntry } from '../support/steps.js';

function albumOf(id: string, ...indexes: number[]): Album {
  return { id, group: 'visual', files: indexes.map((i) => materialisedStep(i, 'photo').file) };
}

/** A sink whose attempts answer, in turn, with the given Observables; it records each attempt. */
function scriptedSink(...answers: (() => Observable<Receipt>)[]) {
  const attempts: string[] = [];
  const sink: Sink = {
    name: 'scripted',
    deliver(album) {
      attempts.push(album.id);
      return answers[Math.min(attempts.length - 1, answers.length - 1)]!();
    },
  };
  return { sink, attempts };
}

const receipt: Receipt = { items: ['m1'] };
const noDiscard = () => of(null);
const noJitter = () => 0.5;

describe('deliver operator', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits delivered with the receipt when the sink takes the album', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const album = albumOf('a1', 1, 2);
      const { sink } = scriptedSink(() => cold('--r|', { r: receipt }));
      const source = cold('-a-|', { a: { kind: 'album', album } satisfies Step });
      const subs = '       ^--!';
      const result = source.pipe(deliver({ sink, discard: noDiscard, scheduler: testScheduler }));
      expectObservable(result).toBe('---(d|)', { d: { kind: 'delivered', album, receipt } satisfies Step });
      expectSubscriptions(source.subscriptions).toBe(subs);
    });
  });

  it('retries with exponential backoff and delivers on a later attempt', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const album = albumOf('a1', 1);
      const { sink, attempts } = scriptedSink(
        () => cold('#', undefined, new Error('network down')),
        () => cold('#', undefined, new Error('network down')),
        () => cold('r|', { r: receipt }),
      );
      const source = cold('a|', { a: { kind: 'album', album } satisfies Step });
      // Delays with no jitter (scale 1): 1000 ms, then 2000 ms.
      const expected = '3000ms (d|)';
      const result = source.pipe(deliver({ sink, backoff: 1000, random: noJitter, discard: noDiscard, scheduler: testScheduler }));
      expectObservable(result).toBe(expected, { d: { kind: 'delivered', album, receipt } satisfies Step });
      testScheduler.flush();
      expect(attempts).toEqual(['a1', 'a1', 'a1']);
    });
  });

  it('waits exactly the delay a sink asks for', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const album = albumOf('a1', 1);
      const { sink } = scriptedSink(
        () => cold('#', undefined, new SinkError('slow down', { reason: 'flood', retryAfter: 42_000 })),
        () => cold('r|', { r: receipt }),
      );
      const source = cold('a|', { a: { kind: 'album', album } satisfies Step });
      const result = source.pipe(deliver({ sink, discard: noDiscard, scheduler: testScheduler }));
      expectObservable(result).toBe('42000ms (d|)', { d: { kind: 'delivered', album, receipt } satisfies Step });
    });
  });

  it('gives up after the last attempt with the reason, discards the files, and goes on', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const first = albumOf('a1', 1);
      const second = albumOf('a2', 2);
      const discarded: string[] = [];
      let calls = 0;
      const sink: Sink = {
        name: 'flaky',
        deliver: (album) => (album.id === 'a1' ? (calls++, cold('#', undefined, new SinkError('no', { reason: 'CHAT_WRITE_FORBIDDEN' }))) : cold('r|', { r: receipt })),
      };
      const source = cold('ab|', { a: { kind: 'album', album: first } satisfies Step, b: { kind: 'album', album: second } satisfies Step });
      const discard = (album: Album) => {
        discarded.push(album.id);
        return of(null);
      };
      const result = source.pipe(deliver({ sink, attempts: 2, backoff: 10, random: noJitter, discard, scheduler: testScheduler }));
      expectObservable(result).toBe('10ms (ud|)', {
        u: {
          kind: 'undelivered',
          album: first,
          reason: 'CHAT_WRITE_FORBIDDEN',
          detail: 'the sink flaky refused the album after 2 attempts: no',
          attempts: 2,
        } satisfies Step,
        d: { kind: 'delivered', album: second, receipt } satisfies Step,
      });
      testScheduler.flush();
      expect(calls).toBe(2);
      expect(discarded).toEqual(['a1', 'a2']);
    });
  });

  it('gives up at once on a refusal that no retry changes, counting the one attempt made', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const album = albumOf('a1', 1);
      const { sink, attempts } = scriptedSink(
        () => cold('-#', undefined, new SinkError('the bot may not write here', { reason: 'CHAT_WRITE_FORBIDDEN', retryable: false })),
        () => cold('r|', { r: receipt }),
      );
      const source = cold('a|', { a: { kind: 'album', album } satisfies Step });
      const result = source.pipe(deliver({ sink, attempts: 5, backoff: 10, random: noJitter, discard: noDiscard, scheduler: testScheduler }));
      expectObservable(result).toBe('-(u|)', {
        u: {
          kind: 'undelivered',
          album,
          reason: 'CHAT_WRITE_FORBIDDEN',
          detail: 'the sink scripted refused the album after 1 attempt: the bot may not write here',
          attempts: 1,
        } satisfies Step,
      });
      testScheduler.flush();
      expect(attempts).toEqual(['a1']);
    });
  });

  it('hands the sink the delivery context with every album', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const album = albumOf('a1', 1);
      const context = { archive: 'a.zip', total: 3, uploads: { get: () => undefined, put: () => undefined, sent: () => ({}), recordSent: async () => undefined } };
      const seen: unknown[] = [];
      const sink: Sink = {
        name: 'context',
        deliver(_album, _signal, given) {
          seen.push(given);
          return cold('r|', { r: receipt });
        },
      };
      const source = cold('a|', { a: { kind: 'album', album } satisfies Step });
      expectObservable(source.pipe(deliver({ sink, context, discard: noDiscard, scheduler: testScheduler }))).toBe('d|', {
        d: { kind: 'delivered', album, receipt } satisfies Step,
      });
      testScheduler.flush();
      expect(seen).toEqual([context]);
    });
  });

  it('passes other steps through', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const skipped: Step = { kind: 'skipped', entry: testEntry(0, 'e'), reason: 'empty', detail: 'zero bytes' };
      const { sink } = scriptedSink(() => cold('r|', { r: receipt }));
      const source = cold('-s-|', { s: skipped });
      expectObservable(source.pipe(deliver({ sink, discard: noDiscard, scheduler: testScheduler }))).toBe('-s-|', { s: skipped });
    });
  });

  it('aborts the delivery in progress when unsubscribed', () => {
    let signal: AbortSignal | undefined;
    const sink: Sink = {
      name: 'slow',
      deliver(_album, abort) {
        signal = abort;
        return new Promise<Receipt>(() => {});
      },
    };
    const subscription = of<Step>({ kind: 'album', album: albumOf('a1', 1) }).pipe(deliver({ sink, discard: noDiscard })).subscribe();
    expect(signal?.aborted).toBe(false);
    subscription.unsubscribe();
    expect(signal?.aborted).toBe(true);
  });

  it('stops pulling a synchronous source once take(n) is satisfied', () => {
    let pulled = 0;
    function* albums() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield { kind: 'album', album: albumOf(`a${i}`, i) } satisfies Step;
      }
    }
    const sink: Sink = { name: 'sync', deliver: () => of(receipt) };
    from(albums()).pipe(deliver({ sink, discard: noDiscard }), take(2)).subscribe();
    expect(pulled).toBe(2);
  });

  describe('with an album ahead', () => {
    /** A sink whose deliveries take `frames`, and whose calls (and aborts of preparations) are logged with the frame they came at. */
    function recordingSink(frames: number, prepare: (album: Album) => Promise<void> = () => new Promise<void>(() => {})) {
      const log: string[] = [];
      const signals = new Map<string, AbortSignal>();
      const sink: Sink = {
        name: 'recording',
        deliver(album) {
          log.push(`${testScheduler.now()} deliver ${album.id}`);
          return testScheduler.createColdObservable(`${'-'.repeat(frames)}(r|)`, { r: receipt });
        },
        prepare(album, signal) {
          log.push(`${testScheduler.now()} prepare ${album.id}`);
          signals.set(album.id, signal);
          signal.addEventListener('abort', () => log.push(`${testScheduler.now()} abort ${album.id}`));
          return prepare(album);
        },
      };
      return { sink, log, signals };
    }

    it('announces each delivery as it starts, prepares the album next in line at once, and delivers it only after the one before', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const first = albumOf('A', 1, 2);
        const second = albumOf('B', 3, 4);
        const { sink, log } = recordingSink(5);
        const source = cold('-AB----------|', { A: { kind: 'album', album: first }, B: { kind: 'album', album: second } } satisfies Record<string, Step>);
        const subs = '       ^------------!';
        const expected = '   -a----(Db)-E-|';
        expectObservable(source.pipe(deliver({ sink, ahead: 1, discard: noDiscard, scheduler: testScheduler }))).toBe(expected, {
          a: { kind: 'delivering', album: first },
          D: { kind: 'delivered', album: first, receipt },
          b: { kind: 'delivering', album: second },
          E: { kind: 'delivered', album: second, receipt },
        } satisfies Record<string, Step>);
        expectSubscriptions(source.subscriptions).toBe(subs);
        flush();
        // B is prepared the moment it arrives, while A is being delivered; its preparation is
        // called off once B itself is done with.
        expect(log).toEqual(['1 deliver A', '2 prepare B', '6 deliver B', '11 abort B']);
      });
    });

    it('lets other steps wait their turn behind the album being delivered', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const album = albumOf('A', 1);
        const skipped: Step = { kind: 'skipped', entry: testEntry(2, 'd/'), reason: 'directory', detail: 'a directory' };
        const { sink } = recordingSink(3);
        const source = cold('As-|', { A: { kind: 'album', album }, s: skipped } satisfies Record<string, Step>);
        expectObservable(source.pipe(deliver({ sink, ahead: 1, discard: noDiscard, scheduler: testScheduler }))).toBe('a--(Ds|)', {
          a: { kind: 'delivering', album },
          D: { kind: 'delivered', album, receipt },
          s: skipped,
        } satisfies Record<string, Step>);
      });
    });

    it('prepares an album that becomes next in line when the delivery before it starts', () => {
      testScheduler.run(({ cold, expectObservable, flush }) => {
        const [a, b, c] = ['A', 'B', 'C'].map((id, i) => albumOf(id, i));
        const { sink, log } = recordingSink(2);
        const source = cold('(ABC|)', { A: { kind: 'album', album: a! }, B: { kind: 'album', album: b! }, C: { kind: 'album', album: c! } } satisfies Record<string, Step>);
        expectObservable(source.pipe(deliver({ sink, discard: noDiscard, scheduler: testScheduler }))).toBe('--D-E-(F|)', {
          D: { kind: 'delivered', album: a!, receipt },
          E: { kind: 'delivered', album: b!, receipt },
          F: { kind: 'delivered', album: c!, receipt },
        } satisfies Record<string, Step>);
        flush();
        expect(log).toEqual(['0 deliver A', '0 prepare B', '2 deliver B', '2 prepare C', '4 abort B', '4 deliver C', '6 abort C']);
      });
    });

    it('delivers an album whose preparation failed, and tells of the failure without stopping', async () => {
      const first = albumOf('A', 1);
      const second = albumOf('B', 2);
      const failures: string[] = [];
      const { sink, log } = recordingSink(4, () => Promise.reject(new Error('upload refused')));
      const onPrepareError = (album: Album, error: unknown) => failures.push(`${album.id}: ${(error as Error).message}`);
      testScheduler.run(({ cold, expectObservable, flush }) => {
        const source = cold('AB-|', { A: { kind: 'album', album: first }, B: { kind: 'album', album: second } } satisfies Record<string, Step>);
        const result = source.pipe(deliver({ sink, ahead: 1, discard: noDiscard, scheduler: testScheduler, onPrepareError }));
        expectObservable(result).toBe('a---(Db)(E|)', {
          a: { kind: 'delivering', album: first },
          D: { kind: 'delivered', album: first, receipt },
          b: { kind: 'delivering', album: second },
          E: { kind: 'delivered', album: second, receipt },
        } satisfies Record<string, Step>);
        flush();
        expect(log).toEqual(['0 deliver A', '1 prepare B', '4 deliver B', '8 abort B']);
      });
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(failures).toEqual(['B: upload refused']);
    });

    it('tells of a preparation that throws at once, and of none that is aborted', async () => {
      const failures: unknown[] = [];
      let release!: (receipt: Receipt) => void;
      const sink: Sink = {
        name: 'throwing',
        deliver: () => new Promise<Receipt>((resolve) => (release = resolve)),
        prepare(album, signal) {
          if (album.id === 'B') throw new TypeError('not a function');
          return new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        },
      };
      const albums = ['A', 'B', 'C'].map((id, i): Step => ({ kind: 'album', album: albumOf(id, i) }));
      const subscription = from(albums).pipe(deliver({ sink, discard: noDiscard, onPrepareError: (_, error) => failures.push(error) })).subscribe();
      release(receipt);
      await new Promise((resolve) => setTimeout(resolve, 0));
      // B threw when prepared; C, prepared as B's delivery started, is aborted by the unsubscription.
      subscription.unsubscribe();
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(failures).toEqual([new TypeError('not a function')]);
    });

    it('aborts every preparation when unsubscribed', () => {
      testScheduler.run(({ cold, expectObservable, flush }) => {
        const { sink, log, signals } = recordingSink(10);
        const first = albumOf('A', 1);
        const source = cold('AB', { A: { kind: 'album', album: first }, B: { kind: 'album', album: albumOf('B', 2) } } satisfies Record<string, Step>);
        expectObservable(source.pipe(deliver({ sink, ahead: 1, discard: noDiscard, scheduler: testScheduler })), '---!').toBe('a--', {
          a: { kind: 'delivering', album: first },
        } satisfies Record<string, Step>);
        flush();
        expect(log).toEqual(['0 deliver A', '1 prepare B', '3 abort B']);
        expect(signals.get('B')?.aborted).toBe(true);
      });
    });

    it('counts the albums on disk from their arrival until their files are deleted', () => {
      testScheduler.run(({ cold, expectObservable, flush }) => {
        const onDisk = new AlbumsOnDisk();
        const { sink } = recordingSink(3);
        const held: string[] = [];
        const [first, second] = [albumOf('A', 1), albumOf('B', 2)];
        const source = cold('AB-----|', { A: { kind: 'album', album: first }, B: { kind: 'album', album: second } } satisfies Record<string, Step>);
        const discard = () => {
          held.push(`${testScheduler.now()}: ${onDisk.held} held, ${onDisk.removed} removed`);
          return of(null);
        };
        expectObservable(source.pipe(deliver({ sink, discard, onDisk, scheduler: testScheduler }))).toBe('---D--E|', {
          D: { kind: 'delivered', album: first, receipt },
          E: { kind: 'delivered', album: second, receipt },
        } satisfies Record<string, Step>);
        flush();
        expect(held).toEqual(['3: 2 held, 0 removed', '6: 1 held, 1 removed']);
        expect([onDisk.held, onDisk.removed]).toEqual([0, 2]);
      });
    });
  });

  it('refuses an ahead other than 0 or 1, naming the value', () => {
    const sink: Sink = { name: 'x', deliver: () => of(receipt) };
    expect(() => deliver({ sink, ahead: 2 as 1 })).toThrow('Expected `ahead` to be 0 or 1, got `2` (number)');
  });

  it('refuses fewer than one attempt, naming the value', () => {
    const sink: Sink = { name: 'x', deliver: () => of(receipt) };
    expect(() => deliver({ sink, attempts: 0 })).toThrow('Expected `attempts` to be an integer of at least 1, got `0` (number)');
  });
});
