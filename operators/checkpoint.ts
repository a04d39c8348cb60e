import {
  concat,
  concatMap,
  defaultIfEmpty,
  defer,
  from,
  ignoreElements,
  map,
  type MonoTypeOperatorFunction,
  type Observable,
  type ObservableInput,
  of,
  take,
} from 'rxjs';
import type { Manifest } from '../src/state/manifest.js';
import type { Receipt, Step } from '../src/step.js';

/** Options of {@link checkpoint}. */
export interface CheckpointConfig {
  /** The manifest to record into. */
  manifest: Manifest;
  /** Writes the manifest out. Default: `manifest.save()` (atomic and durable). */
  save?: (() => ObservableInput<unknown>) | undefined;
  /** Appends a delivered album and its receipt to the journal. Default: `manifest.logDelivered`. */
  log?: ((id: string, entries: readonly number[], receipt: Receipt) => ObservableInput<unknown>) | undefined;
}

/**
 * Records every outcome in the manifest and saves it after each album the sink confirmed (or gave
 * up on), and once more when the run ends, emitting a `checkpoint` step after each save. A
 * confirmed album leaves the manifest's in-flight list (see {@link recordAlbum}) and its receipt
 * is appended to the journal first.
 *
 * Skipped and failed entries are recorded in memory and written with the next save: they hold no
 * disk space, and a crash before that save only means they are looked at again. A step is emitted
 * only after the save that covers it has finished, so whatever comes after the pipeline (the
 * release of the entry, a progress line) never runs ahead of the manifest. Other steps pass
 * through unchanged.
 *
 * ```
 * source:  -s--D------|       s = skipped, D = delivered
 * result:  -s--(cD)---(c|)    c = checkpoint (manifest saved)
 * ```
 *
 * ## Examples
 * ```ts
 * import { checkpoint } from 'unspool';
 * steps$.pipe(checkpoint({ manifest }));
 * ```
 *
 * @see deliver
 * @param config The manifest.
 * @return An operator that records outcomes and interleaves `checkpoint` steps after each save.
 */
export function checkpoint(config: CheckpointConfig): MonoTypeOperatorFunction<Step> {
  const { manifest, save: write = () => manifest.save(), log = (id, entries, receipt) => manifest.logDelivered(id, entries, receipt) } =
    config;
  const log$ = (id: string, entries: readonly number[], receipt: Receipt) => from(log(id, entries, receipt)).pipe(defaultIfEmpty(null), take(1));
  const save = (): Observable<Step> =>
    from(write()).pipe(
      defaultIfEmpty(null),
      take(1),
      map((): Step => ({ kind: 'checkpoint', nextIndex: manifest.data.nextIndex })),
    );

  const record = (step: Step): Observable<Step> => {
    switch (step.kind) {
      case 'skipped':
      case 'failed':
        manifest.settle(step.entry, { state: step.kind, reason: step.reason, detail: step.detail });
        return of(step);
      case 'delivered': {
        const { album, receipt } = step;
        for (const file of album.files) manifest.delivered(file.entry);
        manifest.data.albumsDelivered++;
        manifest.landed(album.id);
        const log = defer(() => log$(album.id, album.files.map((file) => file.entry.index), receipt)).pipe(ignoreElements());
        // The save is deferred so that it starts only once the journal line is written.
        return concat(log, defer(save), of(step));
      }
      case 'undelivered':
        for (const file of step.album.files) {
          manifest.settle(file.entry, { state: 'failed', reason: step.reason, detail: step.detail, attempts: step.attempts });
        }
        manifest.landed(step.album.id);
        return concat(defer(save), of(step));
      case 'broken':
        manifest.data.broken = step.detail;
        return of(step);
      default:
        return of(step);
    }
  };

  return (source) => concat(source.pipe(concatMap(record)), defer(save));
}
