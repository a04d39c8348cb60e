/**
 * The process the bot benchmark measures: `startBot` over a real gramjs client whose `invoke` is
 * the test recorder, which keeps only the lengths of the parts it receives, so that the process's
 * memory is the bot's. It runs with the settings `unspool bot` has by default, except a free-space
 * threshold of 1 MB (as every benchmark run: the numbers are the bot's, not the disk's).
 *
 * After start it idles a second and takes its own RSS, then gives itself "/send <archive>" and
 * "/status" as the owner, the way gramjs hands the network's updates over (`_handleUpdate`), waits
 * for the end-of-job report and then for the last edit of the `/status` message (at most two
 * status intervals), stops the bot and prints one JSON line: a {@link BotDeliveryResult}.
 *
 * Usage: node dist/bench/botDeliveryChild.js <archive> <state-dir>
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api } from 'telegram';
import { _handleUpdate } from 'telegram/client/updates.js';
import { startBot } from '../src/bot/bot.js';
import type { BotLog } from '../src/bot/botLog.js';
import type { JobSettings } from '../src/bot/jobRun.js';
import type { ManifestData } from '../src/state/manifest.js';
import { summarise } from '../src/summary.js';
import { owner } from '../spec/bot/botUsers.js';
import { TelegramRecorder, TelegramServer } from '../spec/support/telegramRecorder.js';

/** What the child prints as its last stdout line. */
export interface BotDeliveryResult {
  /** `process.memoryUsage().rss` a second after `startBot` resolved, before `/send`. */
  readonly idleRssBytes: number;
  /** From handing over "/send" to Telegram taking the end-of-job report. */
  readonly seconds: number;
  /** Media messages posted (the report's own text file, if it came as one, left out). */
  readonly messages: number;
  /** Posts: albums (`sendMultiMedia`) and single messages (`sendMedia`), as Telegram shows them. */
  readonly albums: number;
  /** Bytes of the media posted. */
  readonly bytes: number;
  /** Bytes of every upload part Telegram took, posted or not. */
  readonly uploadedBytes: number;
  /** Entries not delivered, by reason, from the job's manifest. */
  readonly notDelivered: Readonly<Record<string, number>>;
  /** Edits of the `/status` message. */
  readonly statusEdits: number;
  /** The first line of the `/status` message as it was left. */
  readonly statusLast: string;
  /** The report's first line. */
  readonly report: string;
  /** How many times the bot logged each event (`status-edit-failed`, `flood-wait`, … show here). */
  readonly logged: Readonly<Record<string, number>>;
}

/** `unspool bot`'s defaults (see `src/cli/main.ts`): album size 10, recheck 30 s, 2 retries, caption `{path}`, no split. */
const settings: JobSettings = { albumSize: 10, minFree: 1_000_000, recheckEvery: 30_000, attempts: 3, caption: '{path}', split: false };
/** `--status-every 5`. */
const statusEvery = 5_000;

const [archive, state] = process.argv.slice(2);
if (!archive || !state) throw new Error('usage: botDeliveryChild <archive> <state-dir>');

const server = new TelegramServer(false);
server.add(owner);
const recorder = new TelegramRecorder(server);
// The recorder keeps every request, and an upload part's request holds its bytes: forgotten at once,
// so that the process holds no more of what it sent than the bot itself does.
recorder.onRequest = () => void recorder.requests.splice(0);

let reported: (headline: string) => void = () => {};
let failed: (reason: string) => void = () => {};
const report = new Promise<string>((resolve, reject) => {
  reported = resolve;
  failed = (reason) => reject(new Error(reason));
});
const headline = /^[✅⚠] #\d+ .*: done in /u;
recorder.onAnswered = (request) => {
  // A long report goes as a text file with its headline as the caption.
  if ((request instanceof Api.messages.SendMessage || request instanceof Api.messages.SendMedia) && headline.test(request.message)) {
    reported(request.message.split('\n')[0]!);
  }
  return undefined;
};
const logged: Record<string, number> = {};
const log: BotLog = (event, fields = {}) => {
  logged[event] = (logged[event] ?? 0) + 1;
  if (event === 'job-failed' || event === 'error') failed(`${event}: ${JSON.stringify(fields)}`);
};

// As connectTelegram does: gramjs learns who it is before the first update comes.
await recorder.client.getMe(true);
const bot = await startBot({
  connection: { client: recorder.client, isBot: true, premium: false, close: async () => {} },
  state,
  access: { allowedUsers: new Set([owner.id.toString()]) },
  settings,
  jobs: 1,
  statusEvery,
  log,
});
await sleep(1000);
const idleRssBytes = process.memoryUsage().rss;

/** A message from the owner, handed to gramjs as the network layer would. */
const say = (text: string) => {
  const id = server.newId();
  const update = new Api.UpdateNewMessage({
    message: new Api.Message({ id, peerId: new Api.PeerUser({ userId: owner.id }), date: 1_700_000_000, message: text }),
    pts: id,
    ptsCount: 1,
  });
  // gramjs types its update handler narrower than what the network layer hands it (`Updates` too).
  _handleUpdate(recorder.client, new Api.Updates({ updates: [update], users: [owner], chats: [], date: 1_700_000_000, seq: 0 }) as unknown as Api.TypeUpdate);
};

const started = performance.now();
say(`/send ${archive}`);
say('/status');
const reportLine = await report.catch((error: Error) => {
  // One line, the last on stderr, for the benchmark's report.
  process.stderr.write(`${error.message}\n`);
  return process.exit(1);
});
const seconds = (performance.now() - started) / 1000;

// The status message of a fresh queue's job #1; its last edit follows the job's end within one interval.
const status = () => server.texts.find((text) => text.peer === owner.id.toString() && text.versions[0]!.startsWith('#1 '));
for (const until = Date.now() + 2 * statusEvery; Date.now() < until && !status()?.text.startsWith('✓'); ) await sleep(50);
await bot.stop();

const manifest = bot.queue.jobs[0]?.manifest;
const summary = manifest ? summarise(JSON.parse(await readFile(manifest, 'utf8')) as ManifestData) : undefined;
const notDelivered: Record<string, number> = {};
for (const item of [...(summary?.failed ?? []), ...(summary?.skipped ?? [])]) notDelivered[item.reason] = (notDelivered[item.reason] ?? 0) + 1;

const media = server.messages.filter((message) => !message.fileName?.startsWith('unspool-job-'));
const result: BotDeliveryResult = {
  idleRssBytes,
  seconds,
  messages: media.length,
  albums: new Set(media.map((message) => message.groupedId ?? `single ${message.id}`)).size,
  bytes: media.reduce((sum, message) => sum + message.size, 0),
  uploadedBytes: [...server.partLengths.values()].reduce((sum, length) => sum + length, 0),
  notDelivered,
  statusEdits: (status()?.versions.length ?? 1) - 1,
  statusLast: status()?.text.split('\n')[0] ?? '(no /status message)',
  report: reportLine,
  logged,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
