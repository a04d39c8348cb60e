import {
  asyncScheduler,
  concat,
  concatMap,
  defer,
  EMPTY,
  finalize,
  from,
  map,
  mergeMap,
  type MonoTypeOperatorFunction,
  type Observable,
  of,
  race,
  retry,
  type SchedulerLike,
  take,
  tap,
  throwError,
  timer,
} from 'rxjs';
import type { AlbumsOnDisk } from '../src/albumsOnDisk.js';
import type { Entry } from '../src/entry.js';
import { checkDiskSpaceProbe, type DiskSpace, type DiskSpaceProbe } from '../src/freeSpace.js';
import { type SpaceLedger, spaceLedger } from '../src/spaceLedger.js';
import type { Step } from '../src/step.js';

/** Bytes the gate keeps free by default: 3 GB. */
export const defaultMinFree = 3_000_000_000;

/** Milliseconds between free-space checks while paused, by default. */
export const defaultRecheckEvery = 30_000;

/** Options of {@link freeSpaceGate}. */
export interface FreeSpaceGateConfig {
  /** A folder on the file system to watch: the temp folder, where entries are written. */
  folder: string;
  /** Bytes that must stay free after the entry is written. Default: 3 GB (3 000 000 000). */
  minFree?: number | undefined;
  /** Milliseconds between checks while paused. Default: 30 000. */
  recheckEvery?: number | undefined;
  /**
   * Milliseconds for which one probe answer is trusted, with the sizes of the entries let through
   * since then subtracted from it. Spares a `df` per entry in archives of many small files.
   * Default: 1 000; 0 probes before every entry.
   */
  probeTtl?: number | undefined;
  /** How free space is measured. Default: `statfs` (`check-disk-space` where Node cannot ask). */
  probe?: DiskSpaceProbe | undefined;
  /** Scheduler for the re-check timer and the probe's age. Default: `asyncScheduler`. */
  scheduler?: SchedulerLike | undefined;
  /**
   * Shared with the gates of other pipelines writing to the same file system (`--jobs N`), so that
   * together they cannot push it below `minFree`. Default: none, the gate counts only its own bytes.
   */
  ledger?: SpaceLedger | undefined;
  /**
   * The albums on their way to the sink (counted by `deliver`), whose files come off the disk by
   * themselves. While one is, too little room is waited out without a `paused` step, and the gate
   * checks again the moment an album's files are deleted as well as every `recheckEvery`.
   * Default: none, every wait is a pause checked every `recheckEvery`.
   */
  onDisk?: AlbumsOnDisk | undefined;
}

/** Thrown inside the gate to make `retry` wait and probe again; never leaves the operator. */
class NotEnoughSpace extends Error {}

/** Whether an entry will be written to disk at all (others pass the gate untouched). */
function takesSpace(entry: Entry): boolean {
  const readable = entry.encrypted === false || entry.encrypted === 'password';
  return entry.kind === 'file' && entry.size > 0 && readable && entry.problem === undefined;
}

/**
 * Holds each entry back until there is room to write it: free space on the temp folder's file
 * system minus the entry's size must stay at or above `minFree`.
 *
 * While there is not, it emits one `paused` step (free bytes, bytes needed), probes again every
 * `recheckEvery` milliseconds, and when the space is back emits `resumed` and then the entry. The
 * waiting is the `retry({ delay })` pattern: a probe that finds too little space errors, and the
 * delay is a timer. Because the entry is not let through, the source does not read the next one.
 * An entry that could not fit even on an empty volume fails with reason `no-room` instead of
 * waiting forever. Steps other than file entries pass through unchanged.
 *
 * With `onDisk`, the gate knows of the albums on their way to the sink. When the pipeline runs an
 * album ahead, the next album's entries come while the album before is still on disk: if they do
 * not fit, the gate waits without a `paused` step (nothing is wrong; the run falls back to one
 * album on disk) until that album's files are deleted, and checks again at once. Only when no
 * album is on its way and there is still no room does it pause. A paused gate also checks again
 * at once whenever an album's files are deleted (the files `albums` sent off behind the `paused`
 * step, say), not only every `recheckEvery`. It never waits on anything that waits on it: an album
 * on its way needs nothing more from the source.
 *
 * With a `ledger` shared by several pipelines, the gate subtracts the bytes the other pipelines
 * were admitted but may not have written yet, and promises its own admitted entry's size until
 * its next entry (or a `held` step) arrives: by backpressure, the entry before is on disk by then.
 * The promise ends when the pipeline completes, errors or is unsubscribed. One over-count is
 * known: a pipeline idle after admitting an entry (its album on the way to a slow sink, say) keeps
 * that entry's bytes promised until its next entry, though they already show in the probe.
 *
 * ```
 * probe:   low ··· (30 s) ··· high
 * source:  -a---------------------|
 * result:  -p 29999ms (ra)--------|
 *
 * with onDisk, an album on its way: no pause, and a check the moment its files are deleted
 * probe:   low ······· high
 * removed: -----x
 * source:  -a------------|
 * result:  -----a--------|
 * ```
 *
 * ## Examples
 * ```ts
 * import { freeSpaceGate } from 'unspool';
 * steps$.pipe(freeSpaceGate({ folder: '/state/tmp', minFree: 3e9 }));
 * ```
 * Two pipelines on one disk:
 * ```ts
 * import { freeSpaceGate, spaceLedger } from 'unspool';
 * const ledger = spaceLedger();
 * first$.pipe(freeSpaceGate({ folder: '/state/tmp/a', ledger }));
 * second$.pipe(freeSpaceGate({ folder: '/state/tmp/b', ledger }));
 * ```
 *
 * @see materialise
 * @see spaceLedger
 * @param config The folder to watch, the threshold (default 3 GB), the re-check period (default
 * 30 s), the probe's lifetime (default 1 s), the probe (default `statfs`), the scheduler,
 * the shared ledger (default none) and the albums on their way to the sink (default none).
 * @return An operator that delays entries while space is short and reports pauses in the stream.
 */
export function freeSpaceGate(config: FreeSpaceGateConfig): MonoTypeOperatorFunction<Step> {
  const {
    folder,
    minFree = defaultMinFree,
    recheckEvery = defaultRecheckEvery,
    probeTtl = 1_000,
    probe = checkDiskSpaceProbe,
    scheduler = asyncScheduler,
    onDisk,
  } = config;

  return (source) =>
    defer(() => {
      // Without a shared ledger the gate keeps one of its own, in which it is the only account.
      const ledger = config.ledger ?? spaceLedger();
      const account = ledger.open();
      // The last probe, with the others' promises and the ledger's admitted total at that moment.
      let last: { space: DiskSpace; at: number; others: number; admitted: number } | undefined;

      // Free space less the other pipelines' promises. A recent probe is trusted when, less every
      // byte admitted since by anyone (promises replaced since are in there too), it shows room.
      const measure = (needed: number): Observable<DiskSpace> => {
        if (last && scheduler.now() - last.at < probeTtl) {
          const free = last.space.free - last.others - (ledger.admitted - last.admitted);
          if (free >= needed) return of({ free, size: last.space.size });
        }
        return from(probe(folder)).pipe(
          take(1),
          map((space) => {
            last = { space, at: scheduler.now(), others: account.others, admitted: ledger.admitted };
            return { free: space.free - last.others, size: space.size };
          }),
        );
      };

      const waitForRoom = (entry: Entry): Observable<Step> =>
        defer(() => {
          let paused = false;
          // Albums removed before this check: one removed after it (even before the wait begins) ends the wait.
          let mark = 0;
          const needed = minFree + entry.size;
          return defer(() => {
            mark = onDisk?.removed ?? 0;
            return measure(needed);
          }).pipe(
            mergeMap((space): Observable<Step> => {
              if (needed > space.size) {
                return of({
                  kind: 'failed',
                  entry,
                  reason: 'no-room',
                  detail: `needs ${entry.size} bytes plus ${minFree} kept free, but the volume holds only ${space.size}`,
                });
              }
              if (space.free >= needed) {
                account.promise(entry.size);
                const admitted: Step = { kind: 'entry', entry };
                const resumed: Step = { kind: 'resumed', free: space.free, entry };
                return paused ? of(resumed, admitted) : of(admitted);
              }
              // An album on its way frees its files by itself: waiting for that is no pause.
              if (onDisk && onDisk.held > 0) return throwError(() => new NotEnoughSpace());
              const notice: Observable<Step> = paused ? EMPTY : of({ kind: 'paused', free: space.free, needed, entry });
              paused = true;
              return concat(notice, throwError(() => new NotEnoughSpace()));
            }),
            retry({
              delay: (error) => {
                if (!(error instanceof NotEnoughSpace)) return throwError(() => error);
                const recheck = timer(recheckEvery, scheduler);
                return onDisk ? race(recheck, onDisk.removedSince(mark)) : recheck;
              },
            }),
          );
        });

      return source.pipe(
        tap((step) => {
          // By backpressure the entry before is on disk now, where the probe sees it.
          if (step.kind === 'entry' || step.kind === 'held') account.promise(0);
        }),
        concatMap((step) => (step.kind === 'entry' && takesSpace(step.entry) ? waitForRoom(step.entry) : of(step))),
        finalize(() => account.close()),
      );
    });
}
