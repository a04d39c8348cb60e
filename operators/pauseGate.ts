import { BehaviorSubject, concat, concatMap, defer, first, ignoreElements, type MonoTypeOperatorFunction, Observable, of } from 'rxjs';
import type { Entry } from '../src/entry.js';
import type { Step } from '../src/step.js';

/** Options of {@link pauseGate}. */
export interface PauseGateConfig {
  /**
   * Whether the run is paused, as it changes: a `BehaviorSubject` that /pause and /resume set, say.
   * Until it says otherwise the run is not paused. It is subscribed once per subscription to the
   * gate; its error ends the run with that error, and its completion opens the gate for good,
   * because nothing could resume the run any more.
   */
  paused: Observable<boolean>;
}

/**
 * Holds the next entry while the run is paused, so that a paused run reads nothing more from its
 * archive.
 *
 * In plain words: /pause stops taking new entries after the current album, and /resume goes on.
 *
 * An `entry` step that arrives while `paused` is true is not passed on. The gate emits one
 * `{ kind: 'held', entry }` step instead, and when `paused` turns false, `{ kind: 'released',
 * entry }` and then the entry. Because the entry is not let through, nothing downstream releases
 * it, and the source does not read the next one: that is the whole pause, without a buffer. Behind
 * `held`, `albums` sends the files still waiting in its groups, so a paused run keeps no temp files
 * on disk. Turning `paused` on and off while no entry is held emits nothing; other steps pass
 * through unchanged and in order, paused or not.
 *
 * ```
 * paused:  f--t--------f----
 * source:  -a---b-----------|    (b is read only after a is released downstream)
 * result:  -a---h------(rb)-|    h = held b, r = released b
 * ```
 *
 * ## Examples
 * ```ts
 * import { BehaviorSubject } from 'rxjs';
 * import { pauseGate } from 'unspool';
 * const paused = new BehaviorSubject(false);
 * steps$.pipe(pauseGate({ paused }));
 * paused.next(true); // /pause
 * paused.next(false); // /resume
 * ```
 *
 * @see freeSpaceGate
 * @see albums
 * @param config The switch `paused` (required; the run is not paused until it says so, and
 * `of(false)` makes the gate a pass-through).
 * @return An operator that holds entries while paused and reports holding and releasing in the stream.
 */
export function pauseGate(config: PauseGateConfig): MonoTypeOperatorFunction<Step> {
  return (source) =>
    new Observable<Step>((subscriber) => {
      // The switch's latest value, kept for the gate's lifetime, so that a cold `paused` is not
      // restarted for every entry and a hot one is not missed between entries.
      const latest = new BehaviorSubject(false);
      subscriber.add(
        config.paused.subscribe({
          next: (paused) => latest.next(paused),
          error: (error: unknown) => subscriber.error(error),
          complete: () => latest.next(false),
        }),
      );
      if (subscriber.closed) return;

      const hold = (entry: Entry): Observable<Step> =>
        defer(() => {
          const step: Step = { kind: 'entry', entry };
          if (!latest.value) return of(step);
          const held: Step = { kind: 'held', entry };
          const released: Step = { kind: 'released', entry };
          return concat(of(held), latest.pipe(first((paused) => !paused), ignoreElements()), of(released, step));
        });

      subscriber.add(source.pipe(concatMap((step) => (step.kind === 'entry' ? hold(step.entry) : of(step)))).subscribe(subscriber));
    });
}
