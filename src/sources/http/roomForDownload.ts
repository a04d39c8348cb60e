import { setTimeout as sleep } from 'node:timers/promises';
import { firstValueFrom, from } from 'rxjs';
import { formatBytes } from '../../size.js';
import { ArchiveError } from '../../errors.js';
import type { DiskSpaceProbe } from '../../freeSpace.js';

/** How a download makes sure of its room: the same threshold and probe as the free-space gate. */
export interface DownloadRoom {
  /** Bytes to keep free besides the download (`--min-free`). */
  readonly minFree: number;
  readonly probe: DiskSpaceProbe;
  /** Milliseconds between checks while there is not enough room. */
  readonly recheckEvery: number;
}

/**
 * Waits until a download of `bytes` fits in `folder` with `minFree` to spare, checking again every
 * `recheckEvery` while it does not, as the free-space gate does for entries. A download that could
 * not fit even on the empty volume is an {@link ArchiveError} saying how much space it needs.
 *
 * @param folder Where the download goes.
 * @param bytes Its size; 0 when the server did not say (then nothing is checked).
 * @param name The archive, for the message.
 * @param signal Ends the wait early (rejecting with an `AbortError`).
 */
export async function roomForDownload(folder: string, bytes: number, room: DownloadRoom, name: string, signal?: AbortSignal): Promise<void> {
  if (bytes <= 0) return;
  const need = bytes + room.minFree;
  for (;;) {
    const { free, size } = await firstValueFrom(from(room.probe(folder)));
    if (size < need) {
      throw new ArchiveError(
        name,
        `the server does not send byte ranges, so this zip must be downloaded before it is read: that needs ${formatBytes(need)} free ` +
          `(${formatBytes(bytes)} plus --min-free ${formatBytes(room.minFree)}), more than the whole volume holds (${formatBytes(size)})`,
      );
    }
    if (free >= need) return;
    await sleep(room.recheckEvery, undefined, { signal });
  }
}
