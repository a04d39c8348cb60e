import { UnreachableError } from '../../errors.js';
import { formatDuration } from '../../duration.js';
import { HttpSourceError } from './httpSourceError.js';

/** How a remote source retries, as {@link retryBudget} takes it. */
export interface RetrySettings {
  /** Failures in a row after which a request is given up. */
  readonly attempts: number;
  /** The first wait in milliseconds, doubling with each failure in a row. */
  readonly backoff: number;
  /**
   * Milliseconds to keep trying while the server cannot be reached at all (a failure without an
   * HTTP status), past `attempts`. Default: 0.
   */
  readonly networkWait?: number;
  /** Waits so many milliseconds; an abort ends the wait early (rejecting). */
  readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Counts failures in a row for one read, and waits between attempts. See {@link retryBudget}. */
export interface RetryBudget {
  /** Bytes arrived: the next failure is the first in a row again. */
  progress(): void;
  /**
   * Takes a failed attempt: waits (the server's `Retry-After`, else the backoff) if another is
   * allowed, throws otherwise (a final error at once, a retryable one once attempts run out).
   *
   * @param signal Ends the wait early, when the read is abandoned.
   */
  failed(error: unknown, signal?: AbortSignal): Promise<void>;
}

/** The longest wait between two tries while the network is gone. */
const maxNetworkBackoff = 30_000;

/**
 * A retry budget: `attempts` failures in a row are allowed, with waits of `backoff`, twice that,
 * four times that… between them, or what the server asked for with `Retry-After`. Progress resets
 * the count, so a long download over a flaky link is not given up for failures hours apart.
 *
 * Failures without any answer from the server (the network gone: refused, reset, no route) are
 * tried for `networkWait` since the first of them in a row, whatever `attempts` says, waiting at
 * most 30 s between tries; then the read fails with an {@link UnreachableError}, which stops the
 * run to be resumed rather than calling the archive unreadable.
 *
 * @param settings The attempts, the first wait, the network wait and the wait function.
 */
export function retryBudget(settings: RetrySettings, now: () => number = Date.now): RetryBudget {
  let failures = 0;
  let offlineSince: number | undefined;
  return {
    progress() {
      failures = 0;
      offlineSince = undefined;
    },
    async failed(error, signal) {
      if (!(error instanceof HttpSourceError) || !error.retryable) throw error;
      failures += 1;
      const offline = error.status === undefined;
      if (offline) offlineSince ??= now();
      else offlineSince = undefined;
      const offlineFor = offlineSince === undefined ? 0 : now() - offlineSince;
      const waitingForNetwork = offline && offlineFor < (settings.networkWait ?? 0);
      if (failures >= settings.attempts && !waitingForNetwork) {
        if (offline) throw new UnreachableError(`${error.message} (no connection for ${formatDuration(offlineFor)})`, { cause: error });
        throw new HttpSourceError(`${error.message} (gave up after ${failures} attempts)`, { status: error.status, cause: error });
      }
      const backoff = settings.backoff * 2 ** Math.min(failures - 1, 20);
      await settings.wait(error.retryAfter ?? (offline ? Math.min(backoff, maxNetworkBackoff) : backoff), signal);
    },
  };
}

/**
 * Runs `attempt` until it succeeds, taking each failure to the budget (which waits, or throws).
 *
 * @param budget The read's budget.
 * @param attempt One try.
 * @param signal Ends a wait early, when the read is abandoned.
 */
export async function retrying<T>(budget: RetryBudget, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      await budget.failed(error, signal);
    }
  }
}
