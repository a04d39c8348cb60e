import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../state/durableFile.js';
import type { GatheredSet } from './volumeGathering.js';

/** The file's format; a file of another version is not read (its sets are sent again). */
const version = 1;

/** Where the sets waiting for volumes are kept: `<state>/bot/volumes.json`. */
function fileOf(state: string): string {
  return join(state, 'bot', 'volumes.json');
}

/**
 * The volume sets that were waiting for more volumes when the bot last stopped (see
 * `volumeGathering`), so that a set sent across a restart is still gathered. A file that is missing
 * or cannot be read is no sets: what it held is only volumes to send again, never a delivery.
 *
 * @param state The state folder.
 */
export async function loadWaitingVolumes(state: string): Promise<GatheredSet[]> {
  try {
    const data = JSON.parse(await readFile(fileOf(state), 'utf8')) as { version?: number; sets?: GatheredSet[] };
    return data.version === version && Array.isArray(data.sets) ? data.sets : [];
  } catch {
    return [];
  }
}

/**
 * Writes the sets waiting for volumes, durably (as the queue is): the messages and documents of
 * their volumes, never their bytes.
 *
 * @param state The state folder.
 * @param sets Every set waiting now.
 */
export async function saveWaitingVolumes(state: string, sets: readonly GatheredSet[]): Promise<void> {
  await writeFileDurably(fileOf(state), `${JSON.stringify({ version, sets }, null, 2)}\n`);
}
