import { Api } from 'telegram';
import type { Summary } from '../../src/summary.js';
import { loadTelegram, saveTelegram } from '../bot/telegramFile.js';
import { runSend } from '../support/runSend.js';
import { type SeenAnswer, TelegramRecorder } from '../support/telegramRecorder.js';
import { recordedSink } from './support.js';

/**
 * The child process of the Telegram sink's kill spec: `send` of an archive into a recorded chat
 * whose Telegram side is kept on disk (see `spec/bot/telegramFile.ts`), loaded at start and saved
 * synchronously after every answered request, before the answer reaches the sink, so that it
 * survives a SIGKILL as the real Telegram would. It is killed either right after Telegram has acted
 * on its n-th send, before the answer reaches the sink ({@link SendProcessPlan.killAfterSend}), or
 * by unspool's own seam, `UNSPOOL_CRASH_AT=telegram-sent:<n>`, once the sink has recorded the
 * answer to its n-th send and before it makes the next.
 *
 * Run as `node dist/spec/telegram/sendProcess.js '<plan as JSON>'` (see {@link SendProcessPlan}).
 * It writes JSON lines to stdout: `{"send":…,"randomIds":[…]}` as each send goes out (but a photo
 * Telegram refuses to take as one), and
 * `{"summary":…}` once the run is over.
 */

/** What the child sends, and how the recorded Telegram answers. */
export interface SendProcessPlan {
  readonly archive: string;
  readonly state: string;
  /** Telegram's side (see `telegramFile.ts`). */
  readonly serverFile: string;
  /** How a `random_id` Telegram has seen is answered. Default: `messages`. */
  readonly seenAnswer?: SeenAnswer;
  /** The file name of a photo Telegram will not take as a photo (`PHOTO_INVALID_DIMENSIONS`). */
  readonly refusedPhoto?: string;
  /** The sink's `maxFileSize`, with `split` on. */
  readonly maxFileSize: number;
  /** SIGKILL once Telegram has acted on the n-th send of this run (counting from 1), its answer lost. */
  readonly killAfterSend?: number;
}

/** One line the child writes to stdout. */
export type SendProcessEvent = { readonly send: string; readonly randomIds: readonly string[] } | { readonly summary: Summary };

const emit = (event: SendProcessEvent) => process.stdout.write(`${JSON.stringify(event)}\n`);

const plan = JSON.parse(process.argv[2]!) as SendProcessPlan;
const server = loadTelegram(plan.serverFile);
const recorder = new TelegramRecorder(server);
recorder.seenAnswer = plan.seenAnswer ?? 'messages';

const isRefused = (request: Api.AnyRequest) => {
  const media = request instanceof Api.messages.UploadMedia || request instanceof Api.messages.SendMedia ? request.media : undefined;
  return media instanceof Api.InputMediaUploadedPhoto && 'name' in media.file && media.file.name === plan.refusedPhoto;
};
for (const className of ['messages.UploadMedia', 'messages.SendMedia']) {
  recorder.fail(className, 400, 'PHOTO_INVALID_DIMENSIONS', { times: Infinity, where: isRefused });
}

recorder.onRequest = (request) => {
  if (isRefused(request)) return;
  if (request instanceof Api.messages.SendMultiMedia) emit({ send: request.className, randomIds: request.multiMedia.map((single) => String(single.randomId)) });
  if (request instanceof Api.messages.SendMedia) emit({ send: request.className, randomIds: [String(request.randomId)] });
};
let sends = 0;
recorder.onAnswered = (request) => {
  saveTelegram(server, plan.serverFile, request);
  const posting = request instanceof Api.messages.SendMultiMedia || request instanceof Api.messages.SendMedia;
  if (posting && ++sends === plan.killAfterSend) process.kill(process.pid, 'SIGKILL');
  return undefined;
};

const { sink } = recordedSink(recorder, { maxFileSize: plan.maxFileSize, split: true });
const { summary } = await runSend(plan.archive, { sink, state: plan.state });
emit({ summary });
process.exit(0);
