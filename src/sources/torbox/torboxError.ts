/**
 * Why Torbox could not give what was asked: no API key, a key it refuses, no such download, a
 * download not finished yet, too many requests for too long, Torbox itself failing, or another
 * refusal (its `detail` says which).
 */
export type TorboxFailure = 'no-key' | 'bad-key' | 'not-found' | 'not-ready' | 'rate-limited' | 'unavailable' | 'refused';

/** Options of {@link TorboxError}. */
export interface TorboxErrorOptions {
  /** Torbox's own error code (`BAD_TOKEN`, `ITEM_NOT_FOUND`, `DOWNLOAD_NOT_CACHED`, …), if it gave one. */
  code?: string | undefined;
  /** The HTTP status of Torbox's answer, when there was one. */
  status?: number | undefined;
  cause?: unknown | undefined;
}

/**
 * Torbox said no, or could not be asked. The message is one line for people (a bot may show it as
 * it is): what happened and what to do, never the API key. `reason` tells the cases apart.
 */
export class TorboxError extends Error {
  override readonly name = 'TorboxError';
  readonly reason: TorboxFailure;
  readonly code: string | undefined;
  readonly status: number | undefined;

  /**
   * @param reason Which failure it is.
   * @param message What happened and what to do, in words, without the key.
   * @param options Torbox's code, the HTTP status, and the cause.
   */
  constructor(reason: TorboxFailure, message: string, options: TorboxErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.reason = reason;
    this.code = options.code;
    this.status = options.status;
  }
}
