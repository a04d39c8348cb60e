import type { Step } from '../step.js';

/** What a running job is doing, as its status message shows it. Updated from the pipeline's steps. */
export interface LiveProgress {
  /** When this run began (milliseconds since the epoch). */
  readonly startedAt: number;
  /** Entries in the archive, when known (zip). */
  entries?: number;
  /** Entries settled by earlier runs. */
  settledBefore: number;
  /** Over this run: */
  delivered: number;
  deliveredBytes: number;
  albums: number;
  skipped: number;
  failed: number;
  /** For an archive read over the network: bytes received so far. */
  network?: { readonly bytesFetched: number };
  /** The album the sink is taking now, by its files' names. */
  current?: readonly string[];
  /** Set while the free-space gate waits: bytes free and bytes needed. */
  lowSpace?: { readonly free: number; readonly needed: number };
  /** Set while `/pause` holds the job. */
  held: boolean;
  /** Set while the run makes no progress and waits for nothing known: where it stands. */
  stalled?: { readonly where: string; readonly idleFor: number };
}

/** Entries this run has delivered, skipped or failed. */
export function settledThisRun(progress: LiveProgress): number {
  return progress.delivered + progress.skipped + progress.failed;
}

/** A fresh {@link LiveProgress} for a run starting now. */
export function liveProgress(now: number): LiveProgress {
  return { startedAt: now, settledBefore: 0, delivered: 0, deliveredBytes: 0, albums: 0, skipped: 0, failed: 0, held: false };
}

/**
 * Folds one step of the pipeline into the progress. Directories are not counted as skipped: they
 * are never delivered anywhere, and counting them would alarm nobody usefully.
 */
export function advanceProgress(progress: LiveProgress, step: Step): void {
  delete progress.stalled;
  switch (step.kind) {
    case 'opened':
      if (step.entryCount !== undefined) progress.entries = step.entryCount;
      progress.settledBefore = step.settled;
      if (step.network) progress.network = step.network;
      return;
    case 'delivered':
      progress.delivered += step.album.files.length;
      progress.deliveredBytes += step.album.files.reduce((sum, file) => sum + file.size, 0);
      progress.albums++;
      delete progress.current;
      return;
    case 'undelivered':
      progress.failed += step.album.files.length;
      delete progress.current;
      return;
    case 'skipped':
      if (step.reason !== 'directory') progress.skipped++;
      return;
    case 'failed':
      progress.failed++;
      return;
    case 'paused':
      progress.lowSpace = { free: step.free, needed: step.needed };
      return;
    case 'resumed':
      delete progress.lowSpace;
      return;
    case 'held':
      progress.held = true;
      return;
    case 'released':
      progress.held = false;
      return;
    default:
      return;
  }
}
