import { type MonoTypeOperatorFunction, tap } from 'rxjs';
import { entriesOf, type Step } from '../src/step.js';

/**
 * Releases the entries each step holds, as the step leaves the pipeline, so that the archive may
 * read the next one.
 *
 * In plain words: the last stage. A source reads its next entry only once the entry before is
 * released, and an album's entries (with the entry that made it go) are released only when the
 * album's `delivering` step (its delivery has started, see `deliver`'s `ahead`) or its `delivered`
 * or `undelivered` step, whichever comes first, has been through `checkpoint` and reaches this
 * operator. So the next album is read and written while this one is on its way, but not the one
 * after it, which would wait behind it in `deliver` with its own entries unreleased: at most two
 * albums' worth of extracted files on disk, or one when `deliver` does not run ahead. Place it
 * last, after `checkpoint`.
 *
 * Every step passes on unchanged, in order and at once; steps that hold no entry (`checkpoint`,
 * `paused`, `opened`, …) release nothing. The entries are released as the step passes, just before
 * the subscriber gets it: the source may then go on reading while a display shows the step.
 *
 * ```
 * source:  -s----a----d----c-|     s = skipped e1, a = album of e2 e3 (trigger e4), d = delivered
 * result:  -s----a----d----c-|     (unchanged)
 * release:  e1        e2 e3 e4     (a's entries are released with d, not with a)
 *
 * source:  -g----d----c-|          g = delivering the album of e2 e3 (trigger e4)
 * release:  e2 e3 e4               (released as its delivery starts; d releases nothing more)
 * ```
 *
 * Note that an `album` step's entries are released when it passes, as any step's are: in the
 * pipeline, `deliver` turns every `album` into `delivered` or `undelivered` before it gets here.
 * Releasing twice does nothing.
 *
 * ## Examples
 * ```ts
 * import { checkpoint, releaseEntries } from 'unspool';
 * steps$.pipe(checkpoint({ manifest }), releaseEntries());
 * ```
 *
 * @see checkpoint
 * @see albums
 * @return An operator that passes every step on and then releases the entries it holds.
 */
export function releaseEntries(): MonoTypeOperatorFunction<Step> {
  return tap((step) => {
    for (const entry of entriesOf(step)) entry.release();
  });
}
