import { setTimeout as sleep } from 'node:timers/promises';
import { Api } from 'telegram';
import { sendCommand } from '../../src/cli/sendCommand.js';
import { telegramSink } from '../../src/sinks/telegram/telegramSink.js';
import { loadTelegram, saveTelegram } from '../bot/telegramFile.js';
import { TelegramRecorder } from '../support/telegramRecorder.js';

/**
 * The child process of the signal spec's Telegram states: `unspool send <archive> --to telegram:me
 * --json --verbose`, run by the CLI's own `sendCommand` (its signal handling included), into a
 * recorded chat whose Telegram side is kept on disk (see `spec/bot/telegramFile.ts`) so that the
 * next run finds what this one posted, as the real Telegram would.
 *
 * Run as `node dist/spec/resume/telegramSendCommand.js '<plan as JSON>'` (see
 * {@link TelegramSendPlan}). Besides the CLI's own output, it writes `{"part":n}` to stdout as each
 * part of a big upload is answered; the summary is still the last line. It exits as the CLI
 * does: with `sendCommand`'s code, when nothing is left to do.
 */

/** What the child sends, and how the recorded Telegram answers. */
export interface TelegramSendPlan {
  readonly archive: string;
  readonly state: string;
  /** Telegram's side (see `telegramFile.ts`). */
  readonly serverFile: string;
  readonly albumSize: number;
  /** The first upload request is answered with `FLOOD_WAIT_<n>`. */
  readonly floodWait?: number;
  /** Milliseconds each `upload.saveBigFilePart` waits before it is answered. */
  readonly partDelay?: number;
  /** Closing the destination never ends (a disconnect that hangs), and keeps nothing running. */
  readonly closeHangs?: boolean;
}

const plan = JSON.parse(process.argv[2]!) as TelegramSendPlan;
const server = loadTelegram(plan.serverFile);
const recorder = new TelegramRecorder(server);
if (plan.floodWait) recorder.fail('upload.SaveFilePart', 420, `FLOOD_WAIT_${plan.floodWait}`);
recorder.onRequest = async (request) => {
  if (plan.partDelay && request instanceof Api.upload.SaveBigFilePart) await sleep(plan.partDelay);
};
recorder.onAnswered = (request) => {
  saveTelegram(server, plan.serverFile, request);
  if (request instanceof Api.upload.SaveBigFilePart) process.stdout.write(`${JSON.stringify({ part: request.filePart })}\n`);
  return undefined;
};

const options = {
  to: 'telegram:me',
  state: plan.state,
  albumSize: plan.albumSize,
  minFree: 1_000_000,
  recheckEvery: 30,
  retries: 2,
  retryFailed: false,
  restart: false,
  json: true,
  verbose: true,
  networkWait: 60,
};
process.exitCode = await sendCommand(plan.archive, options, async (_to, settings) =>
  telegramSink({
    client: recorder.client,
    peer: new Api.InputPeerSelf(),
    chat: 'me',
    onFloodWait: settings.onFloodWait,
    ...(plan.closeHangs ? { disconnect: () => new Promise<void>(() => {}) } : {}),
  }),
);
