/**
 * The process the link benchmark measures: the whole pipeline (`send`) over an archive into the
 * Telegram sink, through a real gramjs client whose `invoke` is the test recorder behind a link
 * model (`spec/support/linkModel.ts`: one shared uplink, answers a round trip later). The recorder
 * keeps only the lengths of the parts, so the peak RSS is the client's and the pipeline's. Prints
 * one JSON line: what the link carried, the albums and their bytes, and the messages posted.
 *
 * With `connections` `2`, the link is a what-if of two connections sharing the uplink fairly
 * (`spec/support/linkFairShare.ts`): the parts on one, every other request (`messages.uploadMedia`,
 * the sends) on the other, as when uploads go over an extra sender to the same data center.
 *
 * Usage: node dist/bench/linkUploadChild.js <archive> <state-dir> <round-trip-ms> <bytes-per-second> <parts-in-flight> [connections]
 */
import { lastValueFrom } from 'rxjs';
import { Api } from 'telegram';
import { send } from '../src/pipeline.js';
import { telegramSink } from '../src/sinks/telegram/telegramSink.js';
import { overLink } from '../spec/support/linkModel.js';
import { TelegramRecorder, TelegramServer } from '../spec/support/telegramRecorder.js';

const [archive, state, roundTrip, bandwidth, parts, connections = '1'] = process.argv.slice(2);
if (!archive || !state || !roundTrip || !bandwidth || !parts) throw new Error('usage: linkUploadChild <archive> <state-dir> <round-trip-ms> <bytes-per-second> <parts-in-flight>');
const recorder = new TelegramRecorder(new TelegramServer(false));
const isPart = (request: Api.AnyRequest) => request instanceof Api.upload.SaveFilePart || request instanceof Api.upload.SaveBigFilePart;
const link = overLink(recorder, {
  roundTripMs: Number(roundTrip),
  bytesPerSecond: Number(bandwidth),
  ...(connections === '2' ? { connectionOf: (request: Api.AnyRequest) => (isPart(request) ? 1 : 0) } : {}),
});
const sink = telegramSink({ client: recorder.client, peer: new Api.InputPeerSelf(), chat: 'bench', partsInFlight: Number(parts) });
await lastValueFrom(send(archive, { sink, state, minFree: 1_000_000 }));
// Albums in the order they were posted, with their bytes: a message without a group is an album of one.
const albums: number[] = [];
let group: string | undefined;
for (const message of recorder.server.messages) {
  if (message.groupedId !== undefined && message.groupedId === group) albums[albums.length - 1]! += message.size;
  else albums.push(message.size);
  group = message.groupedId;
}
const kinds = [...new Set(recorder.server.messages.map((message) => (message.attributes.some((attribute) => attribute instanceof Api.DocumentAttributeVideo) ? 'video' : message.kind)))];
process.stdout.write(`${JSON.stringify({ link: link.stats(), albums, kinds, messages: recorder.server.messages.length })}\n`);
