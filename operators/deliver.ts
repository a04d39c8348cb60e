import { rm } from 'node:fs/promises';
import {
  asyncScheduler,
  catchError,
  concatMap,
  defaultIfEmpty,
  defer,
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
  throwError,
  timer,
} from 'rxjs';
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
}

/** One attempt: the sink's answer, with the attempt aborted if the subscriber leaves early. */
function send(sink: Sink, album: Album, context: DeliveryContext | undefined): Observable<Receipt> {
  return defer(() => {
    const aborter = new AbortController();
    return from(sink.deliver(album, aborter.signal, context)).pipe(
      take(1),
      finalize(() => aborter.abort()),
    );
  });
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
 * files are gone before the step is emitted. Albums are delivered one at a time, in order. Other
 * steps pass through unchanged. An `UnreachableError` (the destination out of reach for longer
 * than the run may wait) is not retried: it fails the run, and the album stays in flight for the
 * next run to send under the same ids.
 *
 * ```
 * attempts 3, backoff 10ms, sink fails once
 * source:  -A----------------|
 * result:  -- 10ms (D)-------|      D = delivered
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
 * @param config The sink, attempts (default 3), backoff (default 1 s doubling, at most 60 s),
 * the jitter source and the scheduler.
 * @return An operator from album steps to delivered or undelivered steps.
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
  } = config;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new TypeError(`Expected \`attempts\` to be an integer of at least 1, got \`${attempts}\` (${typeof attempts})`);
  }

  const deliverAlbum = (album: Album): Observable<Step> => {
    let made = 0;
    return defer(() => {
      made++;
      return send(sink, album, context);
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
      concatMap((step) => from(discard(album)).pipe(defaultIfEmpty(null), take(1), map(() => step))),
    );
  };

  return concatMap((step) => (step.kind === 'album' ? deliverAlbum(step.album) : of(step)));
}
