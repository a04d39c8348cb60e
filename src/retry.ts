import { setTimeout as sleep } from 'node:timers/promises';

/** Waits some milliseconds, or rejects when the signal aborts. Injectable for virtual time. */
export type Wait = (milliseconds: number, signal: AbortSignal) => Promise<void>;

/** The default {@link Wait}: a real timer. */
export const realWait: Wait = (milliseconds, signal) => sleep(milliseconds, undefined, { signal });

/**
 * What a failed attempt means, as {@link RetryConfig.classify} tells it: final (`retry: false`,
 * the error is thrown as it is), or worth another attempt, after `after` milliseconds if the other
 * side asked for that (`Retry-After`), and `offline` when nothing answered at all (the network gone).
 */
export type Verdict = { readonly retry: false } | { readonly retry: true; readonly after?: number | undefined; readonly offline?: boolean };

/** How a retryable error ended the budget, as {@link RetryConfig.giveUp} hears of it. */
export interface Exhausted {
  /** Failures in a row, this one included. */
  readonly failures: number;
  /** Whether this failure was {@link Verdict} `offline`. */
  readonly offline: boolean;
  /** Milliseconds since the first of the offline failures in a row; 0 when this one was not offline. */
  readonly offlineFor: number;
}

/** Options of {@link retryBudget} and {@link retrying}. */
export interface RetryConfig {
  /** Says whether a failure may be tried again, and how. */
  readonly classify: (error: unknown) => Verdict;
  /** Failures in a row after which a retryable error is given up. Default: 5. */
  readonly attempts?: number | undefined;
  /** The first wait in milliseconds, doubling with each failure in a row. Default: 1 000. */
  readonly backoff?: number | undefined;
  /**
   * Milliseconds to keep trying past `attempts` while the failures are `offline`, counted from the
   * first of them in a row. Default: 0 (only `attempts` count).
   */
  readonly networkWait?: number | undefined;
  /** The longest backoff between two offline failures (a `Retry-After` is waited in full). Default: 30 000. */
  readonly maxOfflineBackoff?: number | undefined;
  /** How to wait between attempts. Default: {@link realWait}. */
  readonly wait?: Wait | undefined;
  /**
   * The error thrown when a retryable one runs out of attempts (and of network wait). Default: the
   * error itself.
   */
  readonly giveUp?: ((error: unknown, exhausted: Exhausted) => unknown) | undefined;
  /** The clock the network wait is measured with. Default: `Date.now`. */
  readonly now?: (() => number) | undefined;
}

/** Counts failures in a row, and waits between attempts. See {@link retryBudget}. */
export interface RetryBudget {
  /** Something got through: the next failure is the first in a row again. */
  progress(): void;
  /**
   * Takes a failed attempt: waits (the `after` hint, else the backoff) if another is allowed,
   * throws otherwise (a final error at once, as it is; a retryable one through `giveUp` once the
   * attempts and the network wait have run out).
   *
   * @param signal Ends the wait early, rejecting with its reason. Default: none.
   */
  failed(error: unknown, signal?: AbortSignal): Promise<void>;
}

/** The defaults of {@link RetryConfig}, in one place: every retry loop of unspool starts from them. */
export const retryDefaults = {
  attempts: 5,
  backoff: 1000,
  networkWait: 0,
  maxOfflineBackoff: 30_000,
} as const;

/** The exponent stops growing here: a network wait without end must not overflow the backoff. */
const maxDoublings = 20;

/** The signal of a wait that nothing ends early. */
const never = new AbortController().signal;

/**
 * A retry budget: `attempts` failures in a row are allowed, with waits of `backoff`, twice that,
 * four times that… between them, or what the failure's verdict asked for (`after`). `progress()`
 * resets the count, so a long transfer over a flaky link is not given up for failures hours apart.
 *
 * What is retried is the caller's to say (`classify`): a final error is thrown at once, as it is.
 * Failures where nothing answered (`offline`) are tried for `networkWait` since the first of them
 * in a row, whatever `attempts` says, with backoffs of at most `maxOfflineBackoff`; a failure that
 * got an answer ends such a stretch. A retryable error that runs out is thrown through `giveUp`.
 *
 * Use {@link retrying} for a loop of attempts; the budget itself is for a reader that also fails
 * outside an attempt (a body that breaks half way) and counts those failures with the same budget.
 *
 * ## Examples
 *
 * ```ts
 * import { retryBudget } from './retry.js';
 *
 * const budget = retryBudget({ classify: (error) => ({ retry: error instanceof TypeError }) });
 * for (;;) {
 *   try {
 *     return await read();
 *   } catch (error) {
 *     await budget.failed(error); // waits 1 s, 2 s, 4 s, 8 s, then throws the 5th
 *   }
 * }
 * ```
 *
 * @see retrying for the loop around one attempt
 * @param config `classify`, and `attempts` (default 5), `backoff` (default 1 000 ms),
 * `networkWait` (default 0), `maxOfflineBackoff` (default 30 000 ms), `wait` (default a timer),
 * `giveUp` (default the error itself) and `now` (default `Date.now`).
 * @return The budget of one request, or of one read.
 */
export function retryBudget(config: RetryConfig): RetryBudget {
  const { classify, wait = realWait, giveUp = (error: unknown) => error, now = Date.now } = config;
  const settings = {
    attempts: config.attempts ?? retryDefaults.attempts,
    backoff: config.backoff ?? retryDefaults.backoff,
    networkWait: config.networkWait ?? retryDefaults.networkWait,
    maxOfflineBackoff: config.maxOfflineBackoff ?? retryDefaults.maxOfflineBackoff,
  };
  let failures = 0;
  let offlineSince: number | undefined;
  return {
    progress() {
      failures = 0;
      offlineSince = undefined;
    },
    async failed(error, signal = never) {
      const verdict = classify(error);
      if (!verdict.retry) throw error;
      failures += 1;
      const offline = verdict.offline ?? false;
      if (offline) offlineSince ??= now();
      else offlineSince = undefined;
      const offlineFor = offlineSince === undefined ? 0 : now() - offlineSince;
      const waitingForNetwork = offline && offlineFor < settings.networkWait;
      if (failures >= settings.attempts && !waitingForNetwork) throw giveUp(error, { failures, offline, offlineFor });
      const doubled = settings.backoff * 2 ** Math.min(failures - 1, maxDoublings);
      await wait(verdict.after ?? (offline ? Math.min(doubled, settings.maxOfflineBackoff) : doubled), signal);
    },
  };
}

/**
 * Runs `attempt` until it succeeds, taking each failure to a {@link retryBudget} (which waits, or
 * throws).
 *
 * ## Examples
 *
 * ```ts
 * import { retrying } from './retry.js';
 *
 * const answer = await retrying(() => fetch(url), { classify: () => ({ retry: true, offline: true }), networkWait: 60_000 });
 * ```
 *
 * @see retryBudget for the budget, its rules and its defaults
 * @param attempt One try.
 * @param budget A budget shared with other reads of the same thing, or the settings of a new one.
 * @param signal Ends a wait early, rejecting with its reason. Default: none.
 * @return What the first successful attempt returned.
 */
export async function retrying<T>(attempt: () => Promise<T>, budget: RetryBudget | RetryConfig, signal?: AbortSignal): Promise<T> {
  const counted = 'failed' in budget ? budget : retryBudget(budget);
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      await counted.failed(error, signal);
    }
  }
}
