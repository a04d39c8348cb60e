import { HttpSourceError } from './httpSourceError.js';

/** How a remote source retries, as {@link retryBudget} takes it. */
export interface RetrySettings {
  /** Failures in a row after which a request is given up. */
  readonly attempts: number;
  /** The first wait in milliseconds, doubling with each failure in a row. */
  readonly backoff: number;
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

/**
 * A retry budget: `attempts` failures in a row are allowed, with waits of `backoff`, twice that,
 * four times that… between them, or what the server asked for with `Retry-After`. Progress resets
 * the count, so a long download over a flaky link is not given up for failures hours apart.
 *
 * @param settings The attempts, the first wait and the wait function.
 */
export function retryBudget(settings: RetrySettings): RetryBudget {
  let failures = 0;
  return {
    progress() {
      failures = 0;
    },
    async failed(error, signal) {
      if (!(error instanceof HttpSourceError) || !error.retryable) throw error;
      failures += 1;
      if (failures >= settings.attempts) {
        throw new HttpSourceError(`${error.message} (gave up after ${failures} attempts)`, { status: error.status, cause: error });
      }
      await settings.wait(error.retryAfter ?? settings.backoff * 2 ** (failures - 1), signal);
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
