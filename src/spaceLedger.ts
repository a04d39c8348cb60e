/** One pipeline's account in a {@link SpaceLedger}: the bytes it was admitted and may not have written yet. */
export interface LedgerAccount {
  /** Bytes promised now by the ledger's other open accounts. */
  readonly others: number;
  /**
   * Sets this account's promise to `bytes`, replacing the one before: 0 says that everything
   * admitted so far is on disk. Does nothing once the account is closed.
   */
  promise(bytes: number): void;
  /** Ends this account and its promise. Later calls do nothing. */
  close(): void;
}

/** Bytes that the free-space gates of several pipelines have let through, shared between them. */
export interface SpaceLedger {
  /** Opens an account for one pipeline, with nothing promised. */
  open(): LedgerAccount;
  /** Bytes promised now, over every open account. */
  readonly promised: number;
  /**
   * Bytes ever promised through this ledger, by any account; it only grows. A gate that trusts an
   * earlier probe subtracts from it what was admitted since, by itself or by anyone else.
   */
  readonly admitted: number;
}

/**
 * Makes a ledger of the bytes that free-space gates have admitted but that may not be on disk yet,
 * for several pipelines writing to one file system.
 *
 * In plain words: with `--jobs 2`, two gates could both see room for one more entry at the same
 * moment and both write it; with one ledger between them, each counts the other's entry as
 * already written.
 *
 * Make one per process and give it to every {@link freeSpaceGate} (or `send`) that shares the disk.
 * Each gate opens its own account when subscribed and closes it when its pipeline completes,
 * errors or is unsubscribed. The gate subtracts the other accounts' promises from the free space it
 * measures; when it admits an entry, that entry's size becomes its promise, and when the next entry
 * reaches it the promise drops to 0, because by backpressure the entry before is on disk by then
 * and shows in the probe.
 *
 * ## Examples
 * ```ts
 * import { dirSink, send, spaceLedger } from 'unspool';
 * const ledger = spaceLedger();
 * const sink = await dirSink('/out');
 * send('a.zip', { sink, state: '/state', ledger }).subscribe();
 * send('b.zip', { sink, state: '/state', ledger }).subscribe();
 * ```
 *
 * @see freeSpaceGate
 * @return An empty ledger.
 */
export function spaceLedger(): SpaceLedger {
  const promises = new Map<symbol, number>();
  let promised = 0;
  let admitted = 0;

  return {
    open() {
      const key = Symbol('account');
      promises.set(key, 0);
      return {
        get others() {
          return promised - (promises.get(key) ?? 0);
        },
        promise(bytes) {
          if (!Number.isFinite(bytes) || bytes < 0) {
            throw new TypeError(`Expected \`bytes\` to be a non-negative number, got \`${bytes}\` (${typeof bytes})`);
          }
          const before = promises.get(key);
          if (before === undefined) return;
          promises.set(key, bytes);
          promised += bytes - before;
          admitted += bytes;
        },
        close() {
          promised -= promises.get(key) ?? 0;
          promises.delete(key);
        },
      };
    },
    get promised() {
      return promised;
    },
    get admitted() {
      return admitted;
    },
  };
}
