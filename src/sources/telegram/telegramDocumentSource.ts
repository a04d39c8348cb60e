import { Readable } from 'node:stream';
import { Api, errors, helpers, type TelegramClient } from 'telegram';
import { ArchiveError } from '../../errors.js';
import { retryBudget, retryDefaults } from '../../retry.js';
import { type FloodWaitListener, realWait, type TelegramCall, telegramCall, type Wait } from '../../telegram/telegramCall.js';
import { networkOf } from '../../telegram/telegramNetwork.js';
import { isTransient, rpcErrorName } from '../../telegram/telegramErrors.js';
import { abortable, type RandomAccessSource } from '../randomAccess.js';
import { type GetFileRange, nextGetFileRange } from './getFileRequest.js';

/** Options of {@link telegramDocumentSource}. */
export interface TelegramDocumentConfig {
  /** How to wait out flood limits and back off after timeouts. Default: a real timer. */
  readonly wait?: Wait | undefined;
  /** Attempts per request when it times out or the connection drops. Default: 5. */
  readonly attempts?: number | undefined;
  /** Milliseconds before the first retry of a request, doubling after each. Default: 1 000. */
  readonly backoff?: number | undefined;
  /** Told of each flood wait before it starts. */
  readonly onFloodWait?: FloodWaitListener | undefined;
  /** Ends the first request (for the message) early, and any flood wait in it. Default: none. */
  readonly signal?: AbortSignal | undefined;
}

/** A document in a chat, read in place: a {@link RandomAccessSource} and what it cost. */
export interface TelegramDocumentSource extends RandomAccessSource {
  /** The document's id in Telegram. */
  readonly documentId: string;
  /** Its file name, if the message gives one. */
  readonly fileName?: string;
  /** Bytes received from `upload.getFile` so far, over every request. */
  readonly bytesFetched: number;
}

/** How many times in a row a file reference is renewed before the document counts as gone. */
const referenceRenewals = 3;

/** The data center a `FILE_MIGRATE_X` answer names, if it is one. */
function migratedTo(error: unknown): number | undefined {
  if (error instanceof errors.FileMigrateError) return error.newDc;
  const match = /^FILE_MIGRATE_(\d+)$/.exec(rpcErrorName(error) ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The document of a message, as `messages.getMessages` or `channels.getMessages` describes it. */
async function documentOf(call: TelegramCall, peer: Api.TypeInputPeer, messageId: number, name: string, signal: AbortSignal): Promise<Api.Document> {
  const id = [new Api.InputMessageID({ id: messageId })];
  const answer =
    peer instanceof Api.InputPeerChannel
      ? await call(new Api.channels.GetMessages({ channel: new Api.InputChannel({ channelId: peer.channelId, accessHash: peer.accessHash }), id }), signal)
      : await call(new Api.messages.GetMessages({ id }), signal);
  const message = 'messages' in answer ? answer.messages.find((candidate) => candidate.id === messageId) : undefined;
  if (!(message instanceof Api.Message)) throw new ArchiveError(name, `no message ${messageId} in that chat, or this account cannot see it`);
  const media = message.media;
  if (!(media instanceof Api.MessageMediaDocument) || !(media.document instanceof Api.Document)) {
    throw new ArchiveError(name, `message ${messageId} holds no file`);
  }
  return media.document;
}

/**
 * Reads a document posted in a chat in place, through `upload.getFile`, without storing it: the
 * {@link RandomAccessSource} that `openZip` and `openTarSource` read from.
 *
 * The message is fetched once (`channels.getMessages` in a channel or supergroup,
 * `messages.getMessages` elsewhere) for its document. Each `stream(offset, length)` then asks for
 * the bytes in the ranges Telegram allows (see `nextGetFileRange`), one request at a time and only
 * as fast as the stream is read, and passes on exactly the bytes asked for. The last range
 * received is kept, so that an entry's data, read right after its header, does not fetch the
 * header's block twice.
 *
 * A `FLOOD_WAIT` is waited out (`telegramCall`); an expired file reference is renewed by fetching
 * the message again; a document kept in another data center is read there (its `dc_id`, or the
 * one a `FILE_MIGRATE_X` answer names); a timeout or dropped connection is retried with backoff.
 *
 * @param client The connected client.
 * @param peer The chat the message is in.
 * @param messageId The message's id.
 * @param name The archive as the user named it, for messages.
 * @param config Waits, attempts and backoff.
 * @throws ArchiveError when there is no such message, or it holds no file.
 */
export async function telegramDocumentSource(
  client: TelegramClient,
  peer: Api.TypeInputPeer,
  messageId: number,
  name: string,
  config: TelegramDocumentConfig = {},
): Promise<TelegramDocumentSource> {
  const { wait = realWait, attempts = retryDefaults.attempts, backoff = retryDefaults.backoff, onFloodWait } = config;
  // Only `invoke` is used by `telegramCall`: this view of the client sends to one data center.
  const callOn = (dc: number | undefined): TelegramCall =>
    telegramCall({ invoke: (request: Api.AnyRequest) => client.invoke(request, dc) } as unknown as TelegramClient, wait, onFloodWait, networkOf(client));
  const home = callOn(undefined);
  let document = await documentOf(home, peer, messageId, name, config.signal ?? new AbortController().signal);
  const size = document.size.toJSNumber();
  const homeDc = client.session.dcId;
  let dc = homeDc && document.dcId !== homeDc ? document.dcId : undefined;
  let bytesFetched = 0;
  let last: { readonly offset: number; readonly bytes: Buffer } | undefined;

  async function renewReference(signal: AbortSignal): Promise<void> {
    const renewed = await documentOf(home, peer, messageId, name, signal);
    if (!renewed.id.equals(document.id)) throw new ArchiveError(name, `message ${messageId} now holds another file: start over with --restart`);
    document = renewed;
  }

  async function getFile(range: GetFileRange, signal: AbortSignal): Promise<Buffer> {
    let renewals = 0;
    // A move to another data center or a renewed reference is not a failure: only timeouts count.
    const budget = retryBudget({ classify: (error) => ({ retry: isTransient(error) }), attempts, backoff, wait });
    for (;;) {
      let answer: Api.upload.TypeFile;
      try {
        const location = new Api.InputDocumentFileLocation({ id: document.id, accessHash: document.accessHash, fileReference: document.fileReference, thumbSize: '' });
        answer = await callOn(dc)(new Api.upload.GetFile({ location, offset: helpers.returnBigInt(range.offset), limit: range.limit, precise: true }), signal);
      } catch (error) {
        signal.throwIfAborted();
        const moved = migratedTo(error);
        if (moved !== undefined && moved !== dc) {
          dc = moved === homeDc ? undefined : moved;
          continue;
        }
        if (/^FILE_REFERENCE_/.test(rpcErrorName(error) ?? '') && renewals++ < referenceRenewals) {
          await renewReference(signal);
          continue;
        }
        await budget.failed(error, signal);
        continue;
      }
      // A CDN redirect is only sent to clients that set `cdn_supported`, which this one does not.
      if (!(answer instanceof Api.upload.File)) throw new ArchiveError(name, 'Telegram answered with a CDN redirect, which unspool cannot follow');
      bytesFetched += answer.bytes.length;
      return answer.bytes;
    }
  }

  /** Bytes from `position` on (some, not all), from the last range received or a new request. */
  async function bytesAt(position: number, end: number, signal: AbortSignal): Promise<Buffer> {
    if (!last || position < last.offset || position >= last.offset + last.bytes.length) {
      const range = nextGetFileRange(position, end);
      last = { offset: range.offset, bytes: await getFile(range, signal) };
    }
    const piece = last.bytes.subarray(position - last.offset, end - last.offset);
    if (piece.length === 0) throw new ArchiveError(name, `Telegram sent no bytes at offset ${position} of ${size}`);
    return piece;
  }

  return {
    documentId: document.id.toString(),
    ...fileNameOf(document),
    get bytesFetched() {
      return bytesFetched;
    },
    size: async () => size,
    stream(offset, length, signal) {
      const end = Math.min(size, length === undefined ? size : offset + length);
      const controller = new AbortController();
      let position = offset;
      let reading = false;
      // Destroying the stream aborts the request in progress, and a flood wait or backoff with it.
      const stream = new Readable({
        read() {
          if (reading) return;
          if (position >= end) {
            this.push(null);
            return;
          }
          reading = true;
          bytesAt(position, end, controller.signal).then(
            (piece) => {
              reading = false;
              position += piece.length;
              this.push(piece);
            },
            (error: unknown) => this.destroy(error as Error),
          );
        },
        destroy(error, callback) {
          controller.abort();
          callback(error);
        },
      });
      return abortable(stream, signal);
    },
  };
}

function fileNameOf(document: Api.Document): { fileName?: string } {
  const attribute = document.attributes.find((candidate): candidate is Api.DocumentAttributeFilename => candidate instanceof Api.DocumentAttributeFilename);
  return attribute ? { fileName: attribute.fileName } : {};
}
