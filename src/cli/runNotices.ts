import { RunActivity, watchStall } from '../runActivity.js';
import type { FloodWaitListener } from '../telegram/telegramCall.js';
import { formatDuration } from '../duration.js';
import type { NetworkState, TelegramNetworkConfig } from '../telegram/telegramNetwork.js';
import type { ProgressDisplay } from './progress.js';

/** A structured log line, written when `--verbose` is on. */
export type LogLine = (event: string, fields: Record<string, unknown>) => void;

/** Options of {@link runNotices}. */
export interface RunNoticesOptions {
  /** The archive as it may be shown (an address redacted). */
  readonly archive: string;
  readonly progress: ProgressDisplay;
  readonly log: LogLine;
  /** Milliseconds to wait for Telegram when it is out of reach (`--network-wait`). */
  readonly networkWait: number;
  /** Milliseconds without progress that make a stall notice. Default: 60 000. */
  readonly stallAfter?: number | undefined;
  /** Where notices go. Default: stderr. */
  readonly write?: ((line: string) => void) | undefined;
}

/** What a run of `unspool send` hands to the sink, the source and the pipeline to be heard. */
export interface RunNotices {
  /** The run's activity, for the pipeline to keep and a stall to be told from. */
  readonly activity: RunActivity;
  /** For `connectTelegram`: how long to wait, and who to tell. */
  readonly network: TelegramNetworkConfig;
  /** For the Telegram sink and source: a flood wait, shown and logged. */
  readonly onFloodWait: FloodWaitListener;
  /** Stops the watchdog and the timers. */
  stop(): void;
}

const clock = (time: number) => new Date(time).toTimeString().slice(0, 8);

/**
 * Everything a run says while it waits without having chosen to: Telegram out of reach (on the
 * progress line, stderr and the log once it has lasted 5 s, and when it is back), a flood wait, and a run that
 * has made no progress for `stallAfter` while waiting for none of these (on stderr, the progress
 * line and the log, with the stage and entry it is stuck at). No run waits unseen.
 *
 * @param options The archive's name, the progress line, the log, and the waits.
 */
export function runNotices(options: RunNoticesOptions): RunNotices {
  const { archive, progress, log, networkWait, stallAfter = 60_000 } = options;
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const activity = new RunActivity();
  let down: { since: number } | undefined;
  let floodUntil = 0;

  const onChange = (state: NetworkState) => {
    activity.moved();
    if (!state.up) {
      const since = state.since;
      const giveUp = Number.isFinite(networkWait) ? `; waiting up to ${formatDuration(networkWait)} (--network-wait), then stopping: run the same command again to resume` : '';
      progress.notice(`waiting for the network (Telegram out of reach since ${clock(since)})`);
      log('network-down', { since: new Date(since).toISOString() });
      write(`unspool: ${archive}: cannot reach Telegram since ${clock(since)}: waiting for the network${giveUp}`);
      down = { since };
      return;
    }
    if (!down) return;
    const after = Date.now() - down.since;
    write(`unspool: ${archive}: Telegram is reachable again after ${formatDuration(after)}; going on`);
    log('network-up', { downFor: after });
    progress.notice('the network is back');
    down = undefined;
  };

  const onFloodWait: FloodWaitListener = (seconds, request) => {
    floodUntil = Date.now() + seconds * 1000;
    activity.moved();
    progress.waiting(seconds);
    log('flood-wait', { seconds, request });
  };

  const stopStall = watchStall(
    activity,
    (stall) => {
      const seconds = Math.round(stall.idleFor / 1000);
      write(`unspool: ${archive}: no progress for ${seconds} s: the run is at ${stall.where}`);
      progress.notice(`no progress for ${seconds} s: ${stall.where}`);
      log('stalled', { where: stall.where, idleFor: stall.idleFor });
    },
    { after: stallAfter, checkEvery: Math.min(5_000, stallAfter / 4), excused: () => down !== undefined || Date.now() < floodUntil },
  );

  return {
    activity,
    network: { giveUpAfter: networkWait, onChange },
    onFloodWait,
    stop: stopStall,
  };
}
