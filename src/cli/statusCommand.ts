import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describeError } from '../errors.js';
import { Manifest } from '../state/manifest.js';
import { isAlive, readLock } from '../state/runLock.js';
import { summarise } from '../summary.js';
import { formatBytes } from '../size.js';

/** One archive known to a state folder, as `unspool status` reports it. */
export interface ArchiveStatus {
  readonly source: string;
  readonly format: string;
  /** Entries in the archive, when known (zip); tar archives are counted as they are read. */
  readonly entries: number | null;
  readonly delivered: number;
  readonly skipped: number;
  readonly failed: number;
  /** Entries not yet delivered, skipped or failed, when the total is known. */
  readonly pending: number | null;
  readonly deliveredBytes: number;
  readonly albums: number;
  readonly albumsInFlight: number;
  /** Whether a run is delivering this archive right now. */
  readonly live: boolean;
  readonly updatedAt: string;
  /** Set when the manifest could not be read. */
  readonly error?: string;
}

/** Reads the status of every archive whose manifest is in a state folder. */
export async function archiveStatuses(state: string): Promise<ArchiveStatus[]> {
  const folder = join(state, 'manifests');
  const names = (await readdir(folder).catch(() => [] as string[])).filter((name) => name.endsWith('.json')).sort();
  const statuses: ArchiveStatus[] = [];
  for (const name of names) {
    const id = basename(name, '.json');
    const lock = await readLock(join(state, 'locks', `${id}.lock`));
    const live = lock !== undefined && isAlive(lock);
    try {
      const manifest = await Manifest.load(join(folder, name), `archive ${id}`);
      if (!manifest) continue;
      const { data } = manifest;
      const summary = summarise(data);
      const settled = manifest.settledCount();
      statuses.push({
        source: data.archive.source,
        format: data.archive.format,
        entries: data.entryCount ?? null,
        delivered: summary.delivered,
        skipped: summary.skipped.length + summary.directories,
        failed: summary.failed.length,
        pending: data.entryCount === undefined ? null : Math.max(0, data.entryCount - settled),
        deliveredBytes: data.deliveredBytes,
        albums: data.albumsDelivered,
        albumsInFlight: Object.keys(data.inFlight).length,
        live,
        updatedAt: data.updatedAt,
      });
    } catch (error) {
      statuses.push({
        source: name,
        format: '?',
        entries: null,
        delivered: 0,
        skipped: 0,
        failed: 0,
        pending: null,
        deliveredBytes: 0,
        albums: 0,
        albumsInFlight: 0,
        live,
        updatedAt: '',
        error: describeError(error),
      });
    }
  }
  return statuses;
}

function describe(status: ArchiveStatus): string {
  if (status.error) return `${status.source}: ${status.error}`;
  const total = status.entries === null ? '' : `/${status.entries}`;
  const parts = [
    `${status.delivered}${total} delivered (${formatBytes(status.deliveredBytes)}, ${status.albums} albums)`,
    `${status.skipped} skipped`,
    `${status.failed} failed`,
  ];
  if (status.pending !== null) parts.push(`${status.pending} pending`);
  if (status.albumsInFlight) parts.push(`${status.albumsInFlight} album${status.albumsInFlight === 1 ? '' : 's'} in flight`);
  return `${status.live ? '[running] ' : ''}${status.source} (${status.format}): ${parts.join(', ')}`;
}

/** Runs `unspool status`: one line per archive, or a JSON array with `--json`. */
export async function statusCommand(options: { state: string; json: boolean }): Promise<number> {
  const statuses = await archiveStatuses(options.state);
  if (options.json) process.stdout.write(`${JSON.stringify(statuses)}\n`);
  else if (statuses.length === 0) process.stdout.write(`no archives in ${options.state}\n`);
  else for (const status of statuses) process.stdout.write(`${describe(status)}\n`);
  return 0;
}
