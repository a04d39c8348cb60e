import { rm } from 'node:fs/promises';
import {
  asyncScheduler,
  catchError,
  concat,
  concatMap,
  defaultIfEmpty,
  defer,
  EMPTY,
  finalize,
  from,
  map,
  type MonoTypeOperatorFunction,
  type Observable,
  type ObservableInput,
  of,
  retry,
  type SchedulerLike,
  take,
  tap,
  throwError,
  timer,
} from 'rxjs';
import type { AlbumsOnDisk } from '../src/albumsOnDisk.js';
import { describeError, SinkError, UnreachableError } from '../src/errors.js';
import type { SinkReason } from '../src/reasons.js';
import type { DeliveryContext, Sink } from '../src/sinks/sink.js';
import type { Album, Receipt, Step } from '../src/step.js';

/** Options of {@link deliver}. */
export interface DeliverConfig {
  /** Where albums go. */
  sink: Sink;
  /** Attempts per album, the first included. Default: 3. */
  attempts?: number | undefined;
  /** Delay before the second attempt, in milliseconds; it doubles for each further one. Default: 1 000. */
  backoff?: number | undefined;
  /** Longest delay between attempts, in milliseconds. Default: 60 000. */
  maxBackoff?: number | undefined;
  /** Source of jitter in [0, 1): each delay is scaled by 0.5 + random(). Default: `Math.random`. */
  random?: (() => number) | undefined;
  /** Scheduler for the delays. Default: `asyncScheduler`. */
  scheduler?: SchedulerLike | undefined;
  /** Deletes an album's temp files once it is done with. Default: `rm` of each file. */
  discard?: ((album: Album) => ObservableInput<unknown>) | undefined;
  /** Passed to the sink with every album: the archive's name, upload progress. */
  context?: DeliveryContext | undefined;
  /**
   * Albums the pipeline runs ahead: with 1, a `delivering` step is emitted as each album's
   * delivery starts, and `releaseEntries` lets the source read the next album while this one is
   * on its way (so two albums' files may be on disk); with 0 nothing announces the start, and an
   * album's entries are released with its outcome. Default: 0.
   */
  ahead?: 0 | 1 | undefined;
  /** Counted from each album's arrival to the deletion of its temp files, for `freeSpaceGate`. Default: none. */
  onDisk?: AlbumsOnDisk | undefined;
  /**
   * Told when the sink's `prepare` of an album rejects (an abort is not told): only a head start
   * is lost, since `deliver` does the work again. Default: nothing.
   */
  onPrepareError?: ((album: Album, error: unknown) => void) | undefined;
}

/** An album that reached the operator and is not done with, and its preparation if one began. */
interface InLine {
  readonly album: Album;
  preparation?: AbortController;
}

/**
 * One attempt: the sink's answer, with the attempt aborted if the subscriber leaves early.
 * `called` runs right after the sink's `deliver` is called.
 */
function send(sink: Sink, album: Album, context: DeliveryContext | undefined, called: () => void): Observable<Receipt> {
  return defer(() => {
    const aborter = new AbortController();
    const answer = sink.deliver(album, aborter.signal, context);
    called();
    return from(answer).pipe(
      take(1),
      finalize(() => aborter.abort()),
    );
  });
}

/** Whether an error is only the end of work that `signal` called off. */
function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted && (error === signal.reason || (error instanceof Error && error.name === 'AbortError'));
}

/** Deletes an album's temp files; the ones a sink moved away are already gone. */
function removeFiles(album: Album): Promise<unknown> {
  return Promise.all(album.files.map((file) => rm(file.path, { force: true })));
}

/**
 * Hands each album to the sink, retrying failed attempts with exponential backoff and jitter, or
 * after exactly the delay a {@link SinkError} asks for (its `retryAfter`). A refusal that is not
 * `retryable` (a chat the bot may not write to) ends the album's attempts at once.
 *
 * On success it emits `delivered` with the sink's receipt; after the last failed attempt it emits
 * `undelivered` with the last error's reason, and the run goes on. Either way the album's temp
 * files are gone before the step is emitted. Albums are delivered one at a time, in order: the
 * next album's delivery starts only after the outcome of the one before. Other steps pass through
 * unchanged, in order. An `UnreachableError` (the destination out of reach for longer than the run
 * may wait) is not retried: it fails the run, and the album stays in flight for the next run to
 * send under the same ids.
 *
 * An album that arrives while another is being delivered waits its turn; meanwhile the sink's
 * optional `prepare` is given it at once (the Telegram sink uploads its files), and an album that
 * becomes next in line later is given to `prepare` when the delivery before it starts. A
 * preparation is best effort: its rejection is ignored (see `onPrepareError`), and its signal
 * aborts once the album is done with, or when the subscriber leaves.
 *
 * With `ahead: 1` each album's delivery is announced by a `delivering` step, before its outcome.
 *
 * ```
 * attempts 3, backoff 10ms, sink fails once
 * source:  -A----------------|
 * result:  -- 10ms (D)-------|      D = delivered
 *
 * ahead 1, the sink takes 5 frames an album, P = prepare(B) called
 * source:  -AB----------|
 * prepare: --P
 * result:  -a----(Db)-E-|           a, b = delivering A, B; D, E = delivered A, B
 * ```
 *
 * ## Examples
 * ```ts
 * import { deliver } from 'unspool';
 * import { dirSink } from 'unspool';
 * steps$.pipe(deliver({ sink: await dirSink('out'), attempts: 5 }));
 * ```
 *
 * @see albums
 * @see checkpoint
 * @see releaseEntries
 * @param config The sink, attempts (default 3), backoff (default 1 s doubling, at most 60 s), the
 * jitter source, the scheduler, the albums run ahead (default 0) and the count of albums on disk.
 * @return An operator from album steps to delivered or undelivered steps (each after a
 * `delivering` step with `ahead: 1`).
 */
export function deliver(config: DeliverConfig): MonoTypeOperatorFunction<Step> {
  const {
    sink,
    attempts = 3,
    backoff = 1_000,
    maxBackoff = 60_000,
    random = Math.random,
    scheduler = asyncScheduler,
    discard = removeFiles,
    context,
    ahead = 0,
    onDisk,
    onPrepareError = () => {},
  } = config;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new TypeError(`Expected \`attempts\` to be an integer of at least 1, got \`${attempts}\` (${typeof attempts})`);
  }
  if (ahead !== 0 && ahead !== 1) throw new TypeError(`Expected \`ahead\` to be 0 or 1, got \`${String(ahead)}\` (${typeof ahead})`);

  const deliverAlbum = (album: Album, started: () => void, done: () => void): Observable<Step> => {
    let made = 0;
    return defer(() => {
      made++;
      return send(sink, album, context, started);
    }).pipe(
      retry({
        count: attempts - 1,
        delay: (error: unknown, attempt: number) => {
          if ((error instanceof SinkError && !error.retryable) || error instanceof UnreachableError) return throwError(() => error);
          const hinted = error instanceof SinkError ? error.retryAfter : undefined;
          const exponential = Math.min(maxBackoff, backoff * 2 ** (attempt - 1)) * (0.5 + random());
          return timer(hinted ?? exponential, scheduler);
        },
      }),
      map((receipt): Step => ({ kind: 'delivered', album, receipt })),
      catchError((error: unknown) =>
        error instanceof UnreachableError
          ? throwError(() => error)
          : of<Step>({
              kind: 'undelivered',
              album,
              reason: error instanceof SinkError ? error.reason : ('sink-error' satisfies SinkReason),
              detail: `the sink ${sink.name} refused the album after ${made} attempt${made === 1 ? '' : 's'}: ${describeError(error)}`,
              attempts: made,
            }),
      ),
      concatMap((step) => from(discard(album)).pipe(defaultIfEmpty(null), take(1), tap(done), map(() => step))),
    );
  };

  return (source) =>
    defer(() => {
      // In arrival order: the first is being delivered, the second is next in line.
      const line: InLine[] = [];

      const prepareNext = () => {
        const next = line[1];
        if (!sink.prepare || !next || next.preparation) return;
        const preparation = new AbortController();
        next.preparation = preparation;
        // The executor calls prepare at once, and turns a synchronous throw into a rejection too.
        new Promise<void>((resolve) => resolve(sink.prepare!(next.album, preparation.signal, context))).catch((error: unknown) => {
          if (!isAbort(error, preparation.signal)) onPrepareError(next.album, error);
        });
      };

      const arrive = (step: Step) => {
        if (step.kind !== 'album') return;
        line.push({ album: step.album });
        onDisk?.add();
        prepareNext();
      };

      // The album done with is the first in line; its preparation, if still going, is of no use now.
      const done = () => {
        line.shift()?.preparation?.abort();
        onDisk?.remove();
      };

      // concatMap calls this when the step's turn comes: for an album, when its delivery starts.
      // The album behind it is prepared only once the sink has been called for this one, so that
      // this one's work is asked for first.
      const handle = (step: Step): Observable<Step> => {
        if (step.kind !== 'album') return of(step);
        const announced: Observable<Step> = ahead === 1 ? of({ kind: 'delivering', album: step.album }) : EMPTY;
        return concat(announced, deliverAlbum(step.album, prepareNext, done));
      };

      return source.pipe(
        tap(arrive),
        concatMap(handle),
        finalize(() => {
          for (const waiting of line) waiting.preparation?.abort();
        }),
      );
    });
}
