import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';
import type { Step } from '../step.js';
import { formatBytes } from '../size.js';

/** Shows a run's progress on one line of a terminal. */
export interface ProgressDisplay {
  /** Updates the line from a pipeline step. */
  update(step: Step): void;
  /** Shows that the destination asked to wait (a Telegram flood limit). */
  waiting(seconds: number): void;
  /** Shows a wait the run did not choose: for the network, or a stall with where it stands. */
  notice(text: string): void;
  /** Removes the line. */
  stop(): void;
}

/**
 * A one-line progress display on stderr (with `cli-progress`): entries and bytes done, albums,
 * the entry last finished, the paused state, waits the destination asked for, and for a remote
 * archive the bytes fetched. When stderr is not a terminal it shows nothing.
 */
export function progressDisplay(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  if (!stream.isTTY) return { update() {}, waiting() {}, notice() {}, stop() {} };
  // Loaded only for a terminal: a run into a pipe or a log (a cron job, the benchmark) starts
  // sooner without its twenty files.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{bar} {value}/{total} entries · {bytes} · {albums} albums · {state}',
      barsize: 20,
      hideCursor: true,
      clearOnComplete: true,
      linewrap: false,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let done = 0;
  let bytes = 0;
  let albums = 0;
  let started = false;
  let network: { readonly bytesFetched: number } | undefined;
  let shown = 'starting';
  let ticker: NodeJS.Timeout | undefined;
  // Over the network, the bytes received so far are shown beside the bytes delivered, every second.
  const show = (state: string) => {
    shown = state;
    bar.update(done, { bytes: network ? `${formatBytes(bytes)} (${formatBytes(network.bytesFetched)} fetched)` : formatBytes(bytes), albums, state });
  };
  return {
    update(step) {
      switch (step.kind) {
        case 'opened':
          network = step.network;
          if (network) ticker = setInterval(() => show(shown), 1000).unref();
          done = step.settled;
          bar.start(step.entryCount ?? 0, done, { bytes: formatBytes(0), albums, state: 'starting' });
          started = true;
          return;
        case 'paused':
          return show(`paused: ${formatBytes(step.free)} free, need ${formatBytes(step.needed)}`);
        case 'resumed':
          return show('resumed');
        case 'skipped':
        case 'failed':
          done++;
          return show(step.entry.name);
        case 'delivered':
          done += step.album.files.length;
          bytes += step.album.files.reduce((sum, file) => sum + file.size, 0);
          albums++;
          if (done > bar.getTotal()) bar.setTotal(done);
          return show(`sent album ${albums}`);
        case 'undelivered':
          done += step.album.files.length;
          return show('album failed');
        default:
          return;
      }
    },
    waiting(seconds) {
      if (started) show(`Telegram asked to wait ${seconds} s`);
    },
    notice(text) {
      if (started) show(text);
    },
    stop() {
      clearInterval(ticker);
      if (started) bar.stop();
    },
  };
}
