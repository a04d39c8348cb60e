import { readFile } from 'node:fs/promises';
import { lastValueFrom, tap, toArray } from 'rxjs';
import type { ManifestData } from '../../src/state/manifest.js';
import { send, type SendOptions } from '../../src/pipeline.js';
import type { Step, StepOf } from '../../src/step.js';
import { summarise, type Summary } from '../../src/summary.js';

/** What one in-process run of {@link send} did. */
export interface Run {
  /** Every step the pipeline emitted, in order. */
  readonly steps: readonly Step[];
  /** The summary that `--json` would print, from the manifest the run left. */
  readonly summary: Summary;
}

/**
 * Runs {@link send} to completion and summarises the manifest it left, as the CLI does. Free space
 * defaults to a 1 MB threshold here, so that a test machine with less than the default 3 GB free
 * does not pause.
 */
export async function runSend(archive: string, options: SendOptions): Promise<Run> {
  const steps = await lastValueFrom(send(archive, { minFree: 1_000_000, ...options }).pipe(toArray()));
  const opened = steps.find((step): step is StepOf<'opened'> => step.kind === 'opened');
  if (!opened) throw new Error(`send(${archive}) emitted no opened step`);
  const summary = summarise(JSON.parse(await readFile(opened.manifestFile, 'utf8')) as ManifestData);
  return { steps, summary };
}

/**
 * Runs {@link send} until `stopAt` holds for a step, then stops it through its signal (as the CLI's
 * SIGINT does) and waits for it to complete: by then it has let go of its temp files and lock, so
 * the next run may start. Fails if the run ends before it is stopped.
 *
 * @return Every step the pipeline emitted, the one that stopped it included.
 */
export async function runSendUntil(archive: string, options: SendOptions, stopAt: (step: Step) => boolean): Promise<Step[]> {
  const stopping = new AbortController();
  const steps = await lastValueFrom(
    send(archive, { minFree: 1_000_000, ...options, signal: stopping.signal }).pipe(
      tap((step) => {
        if (!stopping.signal.aborted && stopAt(step)) stopping.abort();
      }),
      toArray(),
    ),
  );
  if (!stopping.signal.aborted) throw new Error(`send(${archive}) ended before it was stopped`);
  return steps;
}

/** The steps of one kind. */
export function stepsOf<K extends Step['kind']>(steps: readonly Step[], kind: K): StepOf<K>[] {
  return steps.filter((step): step is StepOf<K> => step.kind === kind);
}

