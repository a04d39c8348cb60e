import { ArchiveError, describeError, UnreachableError } from '../../errors.js';
import type { Archive, RemoteOrigin } from '../archive.js';

/**
 * Runs one step of opening an archive posted in Telegram, as an {@link ArchiveError} naming the
 * archive if it fails; an `ArchiveError` or `UnreachableError` of its own passes as it is (out of
 * reach is not unreadable: the run stops to be resumed).
 *
 * @param name The archive as it may be shown.
 * @param step The step.
 */
export async function openingStep<T>(name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw error instanceof ArchiveError || error instanceof UnreachableError ? error : new ArchiveError(name, `cannot read: ${describeError(error)}`, { cause: error });
  }
}

/**
 * An archive read from Telegram documents, with its origin, whose `close()` also logs out of the
 * connection it reads through, once, after the archive's own `close()`.
 *
 * @param archive The archive as its reader opened it.
 * @param remote Where it comes from, as recorded (the `tg:` key, no secrets).
 * @param connection The connection its documents are read through.
 */
export function closingConnection(archive: Archive, remote: RemoteOrigin, connection: { close(): Promise<void> }): Archive {
  let closed = false;
  return {
    ...archive,
    remote,
    async close() {
      if (closed) return;
      closed = true;
      await archive.close?.();
      await connection.close();
    },
  };
}
