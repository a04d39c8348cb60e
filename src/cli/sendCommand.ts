import { ArchiveError, UnreachableError } from '../errors.js';
import { Manifest } from '../state/manifest.js';
import type { Reason } from '../reasons.js';
import { send } from '../pipeline.js';
import { openSink } from '../sinks/openSink.js';
import { isHttpUrl, redactUrl } from '../sources/http/redactUrl.js';
import type { Step } from '../step.js';
import { summarise, type Summary } from '../summary.js';
import { exitCodes } from './exitCodes.js';
import { progressDisplay } from './progress.js';
import { runNotices } from './runNotices.js';
import { formatBytes } from '../size.js';

/** Options of `unspool send`, as parsed from the command line. */
export interface SendCommandOptions {
  to: string;
  state: string;
  caption?: string | undefined;
  split?: boolean | undefined;
  albumSize: number;
  minFree: number;
  recheckEvery: number;
  retries: number;
  maxEntrySize?: number | undefined;
  retryFailed: boolean;
  /** From `--password`, `UNSPOOL_PASSWORD` or `UNSPOOL_ZIP_PASSWORD`; handed to the pipeline and nowhere else. */
  password?: string | undefined;
  restart: boolean;
  json: boolean;
  verbose: boolean;
  /** Seconds to wait for Telegram when it is out of reach before stopping (`--network-wait`). */
  networkWait: number;
}

/** Writes a structured log line (JSON) to stderr, when `--verbose` is on. */
function logger(verbose: boolean) {
  return (event: string, fields: Record<string, unknown>) => {
    if (verbose) process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
  };
}

function reportStep(step: Step, log: ReturnType<typeof logger>): void {
  switch (step.kind) {
    case 'failed':
      process.stderr.write(`unspool: ${step.entry.archive}: ${step.entry.name}: ${step.detail}\n`);
      return log('failed', { entry: step.entry.name, reason: step.reason });
    case 'undelivered':
      for (const file of step.album.files) {
        process.stderr.write(`unspool: ${file.entry.archive}: ${file.entry.name}: ${step.detail}\n`);
      }
      return;
    case 'broken':
      process.stderr.write(`unspool: ${step.archive}: ${step.detail}\n`);
      return;
    case 'skipped':
      return log('skipped', { entry: step.entry.name, reason: step.reason });
    case 'paused':
      return log('paused', { free: step.free, needed: step.needed });
    case 'resumed':
      return log('resumed', { free: step.free });
    case 'delivered':
      return log('delivered', { album: step.album.id, files: step.album.files.length });
    default:
      return;
  }
}

function describeSummary(summary: Summary, sink: string, newThisRun: number): string {
  const earlier = summary.delivered - newThisRun;
  const parts = [
    `${summary.delivered} entries (${formatBytes(summary.deliveredBytes)}) in ${summary.albums} albums delivered to ${sink}` +
      (earlier > 0 ? ` (${newThisRun} in this run, ${earlier} before)` : ''),
  ];
  if (summary.skipped.length) parts.push(`${summary.skipped.length} skipped`);
  if (summary.failed.length) parts.push(`${summary.failed.length} failed`);
  return `${summary.source}: ${parts.join(', ')}`;
}

function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? exitCodes.interrupted : exitCodes.terminated;
}

/**
 * Milliseconds a run stopped by a signal is given to let go (delete its temp files, save the
 * manifest, release the lock, close the destination) before it exits anyway: the promise is to
 * end within 2 s whatever it was waiting for. What is left undone, the next run does.
 */
const stopGrace = 1_500;

function unreadableSummary(error: ArchiveError): Summary {
  const failed = [{ entry: '(the whole archive)', reason: 'unreadable' satisfies Reason, detail: error.reason }];
  return { source: error.archive, entries: null, delivered: 0, deliveredBytes: 0, albums: 0, directories: 0, skipped: [], failed };
}

/**
 * Runs `unspool send`: the pipeline over one archive into the sink, with progress on a terminal,
 * errors as one line each on stderr, and the summary on stdout.
 *
 * SIGINT or SIGTERM stops the run (see `SendOptions.signal`): the summary is printed, with a line
 * saying how to resume, and the exit code is 130 or 143. If letting go takes longer than 1.5 s
 * (a destination that does not answer its close, say), the process exits then with the same
 * code, saying so. A second signal exits at once.
 *
 * @param open Opens the destination. Default: `openSink`; tests pass a recorded Telegram.
 * Telegram out of reach for `--network-wait` stops the run the same way, with the summary of what
 * was done and exit code 4; a run left hanging with nothing to wait for (a defect) says where it
 * stalled and exits with 70, never silently.
 *
 * @return The exit code: 0 all delivered or deliberately skipped, 1 some failed, 4 Telegram out of
 * reach, 130/143 stopped.
 */
export async function sendCommand(archive: string, options: SendCommandOptions, open: typeof openSink = openSink): Promise<number> {
  const log = logger(options.verbose);
  const progress = progressDisplay();
  // A URL's query string often holds a token: it is never printed.
  const shown = isHttpUrl(archive) ? redactUrl(archive) : archive;
  const notices = runNotices({ archive: shown, progress, log, networkWait: options.networkWait * 1000 });
  let stoppedBy: NodeJS.Signals | undefined;
  /** Whether the line saying how to resume is written. */
  let told = false;
  let grace: NodeJS.Timeout | undefined;
  const stopping = new AbortController();
  // The manifest is consistent at every moment, so stopping is only a matter of abandoning the
  // current write and album; the pipeline completes once it has let go. A second signal exits at
  // once. The handlers are there from the start: a stop while Telegram is still being reached counts.
  const stop = (signal: NodeJS.Signals) => {
    if (stoppedBy) process.exit(signalExitCode(signal));
    stoppedBy = signal;
    // Referenced while letting go, so that a step that hangs on a promise alone still ends here
    // (else the event loop would empty and Node exit with 13); then unreferenced, once the resume
    // line is written, so that the process ends as soon as nothing else keeps it.
    grace = setTimeout(() => {
      if (!told) process.stderr.write(`unspool: ${shown}: stopped by ${signal}; letting go took over ${stopGrace / 1000} s, so it exits now; run the same command again to resume\n`);
      process.exit(signalExitCode(signal));
    }, stopGrace);
    stopping.abort();
  };
  // The event loop empties before the run ends only when what the run waits for can never come: a
  // defect, said as such rather than left to Node's silent exit code 13.
  const stalled = () => {
    process.stderr.write(
      `unspool: ${shown}: internal error: the run stalled at ${notices.activity.where} with nothing left to wait for; ` +
        'its state is saved: run the same command again to resume, and please report this\n',
    );
    process.exit(exitCodes.internalError);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('beforeExit', stalled);
  try {
    const code = await run();
    if (stoppedBy) {
      process.stderr.write(`unspool: ${shown}: stopped by ${stoppedBy}; run the same command again to resume\n`);
      told = true;
      grace?.unref();
    }
    return code;
  } catch (error) {
    if (!(error instanceof UnreachableError)) throw error;
    process.stderr.write(`unspool: ${shown}: ${error.message}: check the network; run the same command again to resume\n`);
    return exitCodes.unreachable;
  } finally {
    process.off('beforeExit', stalled);
    notices.stop();
  }

  /** Opens the destination and runs the pipeline; prints the summary of what the manifest holds. */
  async function run(): Promise<number> {
    const opening = open(options.to, {
      state: options.state,
      caption: options.caption,
      split: options.split ?? false,
      onFloodWait: notices.onFloodWait,
      network: notices.network,
    });
    const sink = await Promise.race([opening, aborted(stopping.signal)]);
    // Stopped while the destination was being reached: nothing was done yet.
    if (!sink) {
      void opening.then((late) => late.close?.(), () => undefined);
      return signalExitCode(stoppedBy!);
    }
    let manifestFile: string | undefined;
    let newThisRun = 0;
    let unreachable: UnreachableError | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        send(archive, {
          sink,
          state: options.state,
          albumSize: options.albumSize,
          minFree: options.minFree,
          recheckEvery: options.recheckEvery * 1000,
          attempts: options.retries + 1,
          maxEntrySize: options.maxEntrySize,
          retryFailed: options.retryFailed,
          password: options.password,
          restart: options.restart,
          signal: stopping.signal,
          activity: notices.activity,
          // An archive's server out of reach is waited for as long as Telegram is.
          http: { networkWait: options.networkWait * 1000 },
          connectTelegram: async () => {
            const { connectTelegram } = await import('../telegram/connectTelegram.js');
            const { telegramSettings } = await import('../telegram/telegramSettings.js');
            return connectTelegram(await telegramSettings(process.env, options.state), notices.network);
          },
        }).subscribe({
          next(step) {
            if (step.kind === 'opened') manifestFile = step.manifestFile;
            if (step.kind === 'delivered') newThisRun += step.album.files.length;
            progress.update(step);
            reportStep(step, log);
          },
          error: reject,
          complete: resolve,
        });
      });
    } catch (error) {
      // Out of reach mid-run: what was done is summed up below, as for a stop.
      if (error instanceof UnreachableError && manifestFile) unreachable = error;
      else {
        // The summary is promised as the last line of stdout whatever happened.
        if (options.json && error instanceof ArchiveError) process.stdout.write(`${JSON.stringify(unreadableSummary(error))}\n`);
        throw error;
      }
    } finally {
      progress.stop();
      await sink.close?.();
    }
    // Stopped before the archive was even open: nothing was done, and there is no summary to give.
    if (stoppedBy && !manifestFile) return signalExitCode(stoppedBy);
    if (!manifestFile) throw new ArchiveError(shown, 'the run ended before the archive was opened');
    const summary = summarise((await Manifest.load(manifestFile, shown))!.data);
    process.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : `${describeSummary(summary, sink.name, newThisRun)}\n`);
    if (unreachable) throw unreachable;
    if (stoppedBy) return signalExitCode(stoppedBy);
    return summary.failed.length ? exitCodes.someFailed : exitCodes.ok;
  }
}

/** Resolves with nothing once the signal aborts. */
function aborted(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}
