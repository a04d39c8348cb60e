import { UnreachableError } from '../../errors.js';
import { formatDuration } from '../../duration.js';
import { type RetryBudget, retryBudget, type Verdict, type Wait } from '../../retry.js';
import { HttpSourceError } from './httpSourceError.js';

/** How a remote source retries, as {@link httpRetryBudget} takes it. */
export interface HttpRetrySettings {
  /** Failures in a row after which a request is given up. */
  readonly attempts: number;
  /** The first wait in milliseconds, doubling with each failure in a row. */
  readonly backoff: number;
  /**
   * Milliseconds to keep trying while the server cannot be reached at all (a failure without an
   * HTTP status), past `attempts`. Default: 0.
   */
  readonly networkWait?: number | undefined;
  /** Waits so many milliseconds; an abort ends the wait early (rejecting). */
  readonly wait: Wait;
}

/**
 * A retryable {@link HttpSourceError} is tried again, after its `Retry-After` if the server sent
 * one; one without a status got no answer at all, so the network is gone. Anything else is final.
 */
function classify(error: unknown): Verdict {
  if (!(error instanceof HttpSourceError) || !error.retryable) return { retry: false };
  return { retry: true, after: error.retryAfter, offline: error.status === undefined };
}

/**
 * The retry budget of one read of a remote file (see `retryBudget`): `attempts` failures in a row,
 * with waits of `backoff`, twice that, four times that… between them, or what the server asked for
 * with `Retry-After`; bytes arriving reset the count, so a long download over a flaky link is not
 * given up for failures hours apart.
 *
 * Failures without any answer from the server (the network gone: refused, reset, no route) are
 * tried for `networkWait` since the first of them in a row, whatever `attempts` says, waiting at
 * most 30 s between tries; then the read fails with an {@link UnreachableError}, which stops the
 * run to be resumed rather than calling the archive unreadable. Other retryable failures that run
 * out fail with an {@link HttpSourceError} that says after how many attempts.
 *
 * @param settings The attempts, the first wait, the network wait and the wait function.
 * @param now The clock the network wait is measured with. Default: `Date.now`.
 */
export function httpRetryBudget(settings: HttpRetrySettings, now: () => number = Date.now): RetryBudget {
  return retryBudget({
    classify,
    attempts: settings.attempts,
    backoff: settings.backoff,
    networkWait: settings.networkWait,
    wait: settings.wait,
    now,
    giveUp(error, { failures, offline, offlineFor }) {
      const failure = error as HttpSourceError;
      if (offline) return new UnreachableError(`${failure.message} (no connection for ${formatDuration(offlineFor)})`, { cause: failure });
      return new HttpSourceError(`${failure.message} (gave up after ${failures} attempts)`, { status: failure.status, cause: failure });
    },
  });
}
