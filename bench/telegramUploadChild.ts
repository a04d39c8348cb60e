/**
 * The process the Telegram upload benchmark measures: the whole pipeline (`send`) over an archive
 * into the Telegram sink, through a real gramjs client whose `invoke` is the test recorder, which
 * keeps only the lengths of the parts it receives. Its peak RSS is then the client's and the
 * pipeline's. Prints one JSON line: the summary, the parts sent, and the seconds it took.
 *
 * Usage: node dist/bench/telegramUploadChild.js <archive> <state-dir>
 */
import { lastValueFrom } from 'rxjs';
import { Api } from 'telegram';
import { send } from '../src/pipeline.js';
import { telegramSink } from '../src/sinks/telegram/telegramSink.js';
import { TelegramRecorder, TelegramServer } from '../spec/support/telegramRecorder.js';

const [archive, state] = process.argv.slice(2);
if (!archive || !state) throw new Error('usage: telegramUploadChild <archive> <state-dir>');
const recorder = new TelegramRecorder(new TelegramServer(false));
const sink = telegramSink({ client: recorder.client, peer: new Api.InputPeerSelf(), chat: 'bench', maxFileSize: 4000 * 1024 * 1024 });
const started = performance.now();
await lastValueFrom(send(archive, { sink, state, minFree: 1_000_000 }));
const seconds = (performance.now() - started) / 1000;
const parts = recorder.requests.filter((request) => request.className === 'upload.SaveBigFilePart' || request.className === 'upload.SaveFilePart').length;
const bytes = recorder.server.messages.reduce((sum, message) => sum + message.size, 0);
process.stdout.write(`${JSON.stringify({ messages: recorder.server.messages.length, parts, bytes, seconds })}\n`);
