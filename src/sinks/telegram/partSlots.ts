/** Bytes per part: Telegram's largest (512 KiB), so a 2000 MiB file fits in its 4000 parts. */
export const partSize = 512 * 1024;

/**
 * The run-wide budget of upload parts in flight: one slot per part on its way to Telegram, each
 * with its own 512 KiB buffer, so the memory uploads take is `size × 512 KiB` however many files
 * upload at once.
 */
export interface PartSlots {
  /** Parts in flight at most. */
  readonly size: number;
  /** Parts in flight now. */
  readonly inFlight: number;
  /**
   * Runs `send` with a part buffer of its own once a slot is free, and frees the slot when `send`
   * settles. Waiting parts get slots lowest `priority` first, and in the order they asked within a
   * priority, so the parts of an album go before those of the album after it, and a file's parts
   * before those of the file after it.
   *
   * @param priority Lower goes first: the sink numbers albums as it first sees them.
   * @param signal Stops the wait for a slot (rejecting with its reason); once `send` runs, it is
   * `send`'s own business.
   * @param send Uses the buffer until it settles; the buffer is not reused after a rejection,
   * since a request that failed may still be reading it.
   */
  run<T>(priority: number, signal: AbortSignal, send: (buffer: Buffer) => Promise<T>): Promise<T>;
}

/** One part waiting for a slot. */
interface Waiter {
  readonly priority: number;
  readonly order: number;
  readonly start: () => void;
}

/**
 * A budget of `size` upload parts in flight; see {@link PartSlots}.
 *
 * One is made per sink, and every upload of the sink (the album being delivered and the one being
 * prepared) draws from it.
 *
 * ## Examples
 * ```ts
 * import { partSlots } from './partSlots.js';
 *
 * const slots = partSlots(8);
 * await slots.run(0, signal, (buffer) => sendPart(buffer));
 * ```
 *
 * @param size Parts in flight at most, a whole number from 1.
 * @return The budget.
 * @throws TypeError if `size` is not a whole number from 1.
 */
export function partSlots(size: number): PartSlots {
  if (!Number.isInteger(size) || size < 1) throw new TypeError(`Expected \`size\` to be a whole number from 1, got \`${size}\` (${typeof size})`);
  const spare: Buffer[] = [];
  const waiting: Waiter[] = [];
  let inFlight = 0;
  let asked = 0;

  const next = () => {
    if (inFlight >= size || waiting.length === 0) return;
    let best = 0;
    for (let index = 1; index < waiting.length; index++) {
      const candidate = waiting[index]!;
      const chosen = waiting[best]!;
      if (candidate.priority < chosen.priority || (candidate.priority === chosen.priority && candidate.order < chosen.order)) best = index;
    }
    const [waiter] = waiting.splice(best, 1);
    inFlight++;
    waiter!.start();
  };

  const run = <T>(priority: number, signal: AbortSignal, send: (buffer: Buffer) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const abort = () => {
        const index = waiting.indexOf(waiter);
        if (index < 0) return;
        waiting.splice(index, 1);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        priority,
        order: asked++,
        start: () => {
          signal.removeEventListener('abort', abort);
          const buffer = spare.pop() ?? Buffer.allocUnsafe(partSize);
          send(buffer).then(
            (value) => {
              spare.push(buffer);
              inFlight--;
              next();
              resolve(value);
            },
            (error: unknown) => {
              inFlight--;
              next();
              reject(error);
            },
          );
        },
      };
      signal.addEventListener('abort', abort, { once: true });
      waiting.push(waiter);
      next();
    });

  return {
    size,
    get inFlight() {
      return inFlight;
    },
    run,
  };
}
