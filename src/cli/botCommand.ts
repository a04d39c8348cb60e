import { ConfigError } from '../errors.js';
import { botAccess } from '../bot/botAccess.js';
import { startBot } from '../bot/bot.js';
import type { BotLog } from '../bot/botLog.js';
import { connectTelegram } from '../telegram/connectTelegram.js';
import { telegramSettings } from '../telegram/telegramSettings.js';
import { exitCodes } from './exitCodes.js';

/** Options of `unspool bot`, as parsed from the command line. */
export interface BotCommandOptions {
  state: string;
  albumSize: number;
  minFree: number;
  recheckEvery: number;
  retries: number;
  jobs: number;
  caption?: string | undefined;
  split: boolean;
  statusEvery: number;
  verbose: boolean;
}

/** Events worth a line without `--verbose`: starts, stops, jobs, refusals, errors. */
const quietEvents = new Set([
  'started',
  'stopped',
  'job-queued',
  'job-started',
  'job-done',
  'job-failed',
  'job-cancelled',
  'refused',
  'error',
  'needs-link',
  'network-down',
  'network-up',
  'stalled',
]);

/** JSON lines on stdout, one per event, as process supervisors collect them. */
function jsonLog(verbose: boolean): BotLog {
  return (event, fields = {}) => {
    if (verbose || quietEvents.has(event)) process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
  };
}

/**
 * Runs `unspool bot` until SIGTERM or SIGINT: checks who may use it, logs in with the bot token,
 * and serves the queue in the state folder. Without a network it waits, logging `network-down`, and
 * goes on by itself when Telegram is back (`network-up`). A stop signal stops the running job where it is
 * (temp files deleted, manifest and queue kept), so the next start resumes it.
 *
 * @return The exit code: 0 after a clean stop.
 */
export async function botCommand(options: BotCommandOptions): Promise<number> {
  const access = await botAccess(process.env, options.state);
  const settings = await telegramSettings(process.env, options.state);
  if (!('bot' in settings.login)) {
    throw new ConfigError(`unspool bot logs in as a bot: set TELEGRAM_BOT_TOKEN (from @BotFather) ${settings.from}, not TELEGRAM_SESSION`);
  }
  const log = jsonLog(options.verbose);
  // The bot waits for the network for as long as it takes, and says so in its log.
  const connection = await connectTelegram(settings, {
    onChange: (state) =>
      state.up ? log('network-up', {}) : log('network-down', { since: new Date(state.since).toISOString(), waiting: 'for the network, without end' }),
  });
  const bot = await startBot({
    connection,
    state: options.state,
    access,
    jobs: options.jobs,
    statusEvery: options.statusEvery * 1000,
    log,
    settings: {
      albumSize: options.albumSize,
      minFree: options.minFree,
      recheckEvery: options.recheckEvery * 1000,
      attempts: options.retries + 1,
      caption: options.caption,
      split: options.split,
    },
  });
  // The bot lives until a signal: an event loop that empties before one is a defect, said as such
  // rather than left to Node's silent exit code 13.
  const stalled = () => {
    log('error', { error: 'internal error: the bot was left with nothing to wait for; its queue is saved: start it again, and please report this' });
    process.exit(exitCodes.internalError);
  };
  process.on('beforeExit', stalled);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  process.off('beforeExit', stalled);
  log('stopping', { signal });
  // A second signal while stopping exits at once; the manifests are consistent at every moment.
  const again = () => process.exit(1);
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
  await bot.stop();
  await connection.close();
  return 0;
}
