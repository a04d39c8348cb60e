import { errors } from 'telegram';
import { describeError, UnreachableError } from '../errors.js';

/** The RPC error's name as Telegram words it (`FILE_PARTS_INVALID`, `FLOOD_WAIT_X`…), if it is one. */
export function rpcErrorName(error: unknown): string | undefined {
  return error instanceof errors.RPCError ? error.errorMessage : undefined;
}

/** The seconds a `FLOOD_WAIT_X`, `FLOOD_PREMIUM_WAIT_X` or `SLOWMODE_WAIT_X` error asks to wait. */
export function floodWaitSeconds(error: unknown): number | undefined {
  if (error instanceof errors.FloodWaitError || error instanceof errors.SlowModeWaitError) {
    return error.seconds;
  }
  const match = /^(?:FLOOD_WAIT|FLOOD_PREMIUM_WAIT|SLOWMODE_WAIT)_(\d+)$/.exec(rpcErrorName(error) ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * Whether the same request may succeed if sent again: a timeout or an internal error on
 * Telegram's side (codes -503 and 500), or a failure below the RPC layer (a dropped connection).
 * Not an {@link UnreachableError}: the run has waited for the network as long as it may.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof UnreachableError) return false;
  if (!(error instanceof errors.RPCError)) return true;
  return error.code === -503 || error.code === 500 || /^(Timeout|RPC_CALL_FAIL|RPC_MCGET_FAIL)$/i.test(error.errorMessage);
}

/** The part number in a `FILE_PART_X_MISSING` error. */
export function missingPart(error: unknown): number | undefined {
  const match = /^FILE_PART_(\d+)_MISSING$/.exec(rpcErrorName(error) ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Whether Telegram no longer has (or never had) the parts of an upload. */
export function isUploadLost(error: unknown): boolean {
  return /^(FILE_PARTS_INVALID|FILE_PART_INVALID|FILE_PART_SIZE_INVALID|FILE_PART_SIZE_CHANGED|FILE_PART_EMPTY)$/.test(rpcErrorName(error) ?? '');
}

/** Whether Telegram refused to make a photo of an image that may still go as a document. */
export function isPhotoRefused(error: unknown): boolean {
  return /^(PHOTO_INVALID_DIMENSIONS|PHOTO_SAVE_FILE_INVALID|IMAGE_PROCESS_FAILED|PHOTO_EXT_INVALID|PHOTO_INVALID)$/.test(rpcErrorName(error) ?? '');
}

/** Words for an error from Telegram: its RPC name where it has one. */
export function describeTelegramError(error: unknown): string {
  const name = rpcErrorName(error);
  return name ? `Telegram answered ${name}` : describeError(error);
}
