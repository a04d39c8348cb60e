import { from, type Observable, of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { deliver } from '../../operators/deliver.js';
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

  it('refuses fewer than one attempt, naming the value', () => {
    const sink: Sink = { name: 'x', deliver: () => of(receipt) };
    expect(() => deliver({ sink, attempts: 0 })).toThrow('Expected `attempts` to be an integer of at least 1, got `0` (number)');
  });
});
