import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api } from 'telegram';
import { _handleUpdate } from 'telegram/client/updates.js';
import { startBot } from '../../src/bot/bot.js';
import type { JobSettings } from '../../src/bot/jobRun.js';
import type { ManifestData } from '../../src/state/manifest.js';
import { bigFileThreshold } from '../../src/sinks/telegram/uploadFile.js';
import { TelegramRecorder } from '../support/telegramRecorder.js';
import { owner, testSettings } from './botUsers.js';
import { loadTelegram, saveTelegram } from './telegramFile.js';

/**
 * The child process of the bot's crash spec: `startBot` over a {@link TelegramRecorder} whose
 * Telegram side is kept on disk (see `telegramFile.ts`), loaded at start and saved synchronously
 * after every answered request, so that it survives a SIGKILL as the real Telegram would.
 *
 * Run as `node dist/spec/bot/botProcess.js '<plan as JSON>'` (see {@link BotProcessPlan}). It
 * writes JSON lines to stdout (`{"ready":true}`, `{"text":…}` for every message the bot says,
 * `{"posted":…}` after every media send, `{"log":…}` for every log line, `{"crash":…}` just
 * before it kills itself) and reads JSON lines from stdin: `{"say":"/send …"}` is a message from
 * the owner, `{"stop":true}` stops the bot cleanly and exits.
 */

/** What the child does, and where it kills itself. */
export interface BotProcessPlan {
  readonly state: string;
  /** Telegram's side (see `telegramFile.ts`). */
  readonly serverFile: string;
  /**
   * SIGKILL right after Telegram has acted on the n-th `messages.sendMultiMedia` of this run
   * (counting from 1), its state saved, before the answer reaches the bot.
   */
  readonly killAfterAlbum?: number;
  /**
   * Same, after an `upload.saveBigFilePart`, once n of them were answered in this run and the
   * manifest on disk records the upload, so that the next run can go on with it. The record is
   * saved at most every 2 s while parts go up (see `manifestUploads`): slow the parts down with
   * `delays` so that the upload lasts that long.
   */
  readonly killAfterBigPart?: number;
  /** Milliseconds each request of a class waits before it is answered, by class name. */
  readonly delays?: Readonly<Record<string, number>>;
  readonly settings?: Partial<JobSettings>;
}

/** One line the child writes to stdout. */
export type BotProcessEvent =
  | { readonly ready: true }
  | { readonly text: string }
  /** Telegram has acted on a send: the number of media messages it holds now. */
  | { readonly posted: number }
  | { readonly log: string; readonly fields: Record<string, unknown> }
  | { readonly crash: string };

/** One line the child reads from stdin. */
export type BotProcessCommand = { readonly say: string } | { readonly stop: true };

const emit = (event: BotProcessEvent) => process.stdout.write(`${JSON.stringify(event)}\n`);

const plan = JSON.parse(process.argv[2]!) as BotProcessPlan;
const server = loadTelegram(plan.serverFile);
server.add(owner);
const save = (request?: Api.AnyRequest) => saveTelegram(server, plan.serverFile, request);

const crash = (why: string): 'lose' => {
  emit({ crash: why });
  process.kill(process.pid, 'SIGKILL');
  return 'lose';
};

const recorder = new TelegramRecorder(server);
let albums = 0;
let bigParts = 0;

/** Whether a manifest on disk records how far a big upload got. */
const bigUploadRecorded = () => {
  const folder = join(plan.state, 'manifests');
  return readdirSync(folder).some((name) => {
    if (!name.endsWith('.json')) return false;
    const manifest = JSON.parse(readFileSync(join(folder, name), 'utf8')) as ManifestData;
    return Object.values(manifest.uploads ?? {}).some((record) => record.size > bigFileThreshold);
  });
};

recorder.onRequest = async (request) => {
  const delay = plan.delays?.[request.className];
  if (delay) await sleep(delay);
};
recorder.onAnswered = (request) => {
  save(request);
  if (request instanceof Api.messages.SendMessage) emit({ text: request.message });
  if (request instanceof Api.messages.SendMultiMedia || request instanceof Api.messages.SendMedia) emit({ posted: server.messages.length });
  if (request instanceof Api.messages.SendMultiMedia && ++albums === plan.killAfterAlbum) return crash(`after album ${albums}`);
  if (request instanceof Api.upload.SaveBigFilePart && ++bigParts >= (plan.killAfterBigPart ?? Infinity) && bigUploadRecorded()) return crash(`after big part ${bigParts}`);
  return undefined;
};

// As connectTelegram does: gramjs learns who it is before the first update comes.
await recorder.client.getMe(true);
const bot = await startBot({
  connection: { client: recorder.client, isBot: true, premium: false, close: async () => {} },
  state: plan.state,
  access: { allowedUsers: new Set([owner.id.toString()]) },
  settings: { ...testSettings, ...plan.settings },
  log: (event, fields = {}) => emit({ log: event, fields }),
  wait: async () => {},
});
emit({ ready: true });

/** A message from the owner, handed to gramjs as the network layer would (see `startTestBot`). */
const deliver = (text: string) => {
  const id = server.newId();
  save();
  const update = new Api.UpdateNewMessage({
    message: new Api.Message({ id, peerId: new Api.PeerUser({ userId: owner.id }), date: 1_700_000_000, message: text }),
    pts: id,
    ptsCount: 1,
  });
  _handleUpdate(recorder.client, new Api.Updates({ updates: [update], users: [owner], chats: [], date: 1_700_000_000, seq: 0 }) as unknown as Api.TypeUpdate);
};

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as BotProcessCommand;
  if ('say' in command) deliver(command.say);
  else {
    await bot.stop();
    save();
    process.exit(0);
  }
}
// The test that started it is gone: no bot is left behind.
process.exit(0);
