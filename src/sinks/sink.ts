import type { ObservableInput } from 'rxjs';
import type { Album, Receipt } from '../step.js';

/**
 * Where albums go: a folder ({@link dirSink}) or a Telegram chat. The contract that exactly-once
 * delivery is built on:
 * - `deliver` takes an album's temp files (it may move or copy them) and resolves once the album is
 *   safely stored; it rejects with a {@link SinkError} (optionally with a retry-after hint) otherwise.
 * - Delivering an album whose `id` the sink has already taken is a no-op that resolves with the
 *   same receipt, so re-sending an album after a crash cannot duplicate it.
 */
export interface Sink {
  /** A short description for messages, such as `dir:/sdcard/out`. */
  readonly name: string;
  /**
   * Delivers one album; see the contract above. Returns a promise, or an Observable that emits
   * the receipt once. `signal` aborts a delivery in progress.
   */
  deliver(album: Album, signal: AbortSignal): ObservableInput<Receipt>;
}
