import { Api } from 'telegram';
import { crashPoint } from '../../crashPoint.js';
import type { SentMessages } from '../sink.js';
import type { TelegramCall, Wait } from '../../telegram/telegramCall.js';
import { rpcErrorName } from '../../telegram/telegramErrors.js';

/** A request that posts messages, each under a `random_id` Telegram deduplicates. */
export type PostingRequest = Api.messages.SendMedia | Api.messages.SendMultiMedia | Api.messages.SendMessage;

/** Options of {@link sendOnce}. */
export interface SendOnceConfig {
  readonly call: TelegramCall;
  /** How to wait before asking again after `RANDOM_ID_DUPLICATE`. */
  readonly wait: Wait;
  readonly signal: AbortSignal;
  /**
   * Told what each answer proved posted, before any further request is made; the sink resolves once
   * it is on disk. Default: nothing.
   */
  readonly record?: ((messages: SentMessages) => Promise<void>) | undefined;
}

/**
 * Waits before each new question after `RANDOM_ID_DUPLICATE`, in milliseconds: Telegram gives that
 * answer while the earlier call with the `random_id` is still being processed, and the messages
 * that call produced once it is done.
 */
export const duplicateDelays: readonly number[] = [2_000, 4_000, 8_000];

/** A `random_id` as a decimal string; a send without one could not be recognised when made again. */
function decimal(randomId: Api.long | undefined, request: Api.AnyRequest): string {
  if (randomId === undefined) throw new TypeError(`Expected \`randomId\` on ${request.className}, got \`undefined\``);
  return randomId.toString();
}

/** The `random_id`s a request posts under, as decimal strings, in its order. */
export function randomIdsOf(request: PostingRequest): string[] {
  if (request instanceof Api.messages.SendMultiMedia) return request.multiMedia.map((single) => decimal(single.randomId, request));
  return [decimal(request.randomId, request)];
}

/**
 * The message ids an answer names, by `random_id`. An `updateShortSentMessage` names the one
 * message of a request with a single `random_id` without repeating it.
 */
export function messageIdsOf(answer: Api.TypeUpdates, randomIds: readonly string[]): Map<string, number> {
  const ids = new Map<string, number>();
  if (answer instanceof Api.UpdateShortSentMessage && randomIds.length === 1) ids.set(randomIds[0]!, answer.id);
  const updates = answer instanceof Api.Updates || answer instanceof Api.UpdatesCombined ? answer.updates : [];
  for (const update of updates) {
    const randomId = update instanceof Api.UpdateMessageID ? update.randomId?.toString() : undefined;
    if (randomId !== undefined && randomIds.includes(randomId)) ids.set(randomId, (update as Api.UpdateMessageID).id);
  }
  return ids;
}

/** One message of an album sent alone, under the same `random_id`, caption and media. */
function alone(request: Api.messages.SendMultiMedia, single: Api.InputSingleMedia): Api.messages.SendMedia {
  const { entities, randomId } = single;
  return new Api.messages.SendMedia({ peer: request.peer, media: single.media, message: single.message, ...(entities ? { entities } : {}), ...(randomId ? { randomId } : {}) });
}

/**
 * Sends a request that posts messages, and learns from Telegram's answer, for each of its
 * `random_id`s, that Telegram has the message. A send made again (after a crash, in a second
 * attempt, by gramjs after a reconnect) is answered differently from a first one, and every such
 * answer must prove what it can without losing a message or posting one twice.
 *
 * Telegram deduplicates sends by `random_id` (core.telegram.org/api/updates, "random ID
 * deduplication"): a `random_id` used before with the same chat returns the messages the earlier
 * call produced instead of posting new ones, and while that call is still being processed the
 * answer is `RANDOM_ID_DUPLICATE`. So:
 * - a message named in the answer (`updateMessageID`) is posted, with that id;
 * - in an answer to a request with one `random_id`, that message is posted, named or not;
 * - `RANDOM_ID_DUPLICATE` is asked again after 2 s, 4 s and 8 s, for the earlier call's messages;
 *   if Telegram still says so, the message of a request with one `random_id` is posted (its id
 *   unknown, `null`);
 * - a message of an album that none of this leaves proven (an answer that names only some of
 *   them, or `RANDOM_ID_DUPLICATE` for an album of which Telegram saw only some `random_id`s)
 *   goes again alone with `messages.sendMedia`, under its own `random_id`: Telegram gives back the
 *   message it has, or posts it now, alone.
 *
 * Each answer is passed to `record` before the next request goes.
 *
 * @param config How to call, wait and record.
 * @param request `messages.sendMedia`, `messages.sendMultiMedia` or `messages.sendMessage`, with its `random_id`s.
 * @return Every `random_id` of the request, with the id of its message (`null`: posted, id unknown).
 */
export async function sendOnce(config: SendOnceConfig, request: PostingRequest): Promise<SentMessages> {
  const { call, wait, signal, record } = config;
  const randomIds = randomIdsOf(request);
  const settled: Record<string, number | null> = {};
  let answer: Map<string, number> | 'duplicate' = 'duplicate';
  for (const delay of [...duplicateDelays, undefined]) {
    try {
      answer = messageIdsOf(await call(request, signal), randomIds);
      break;
    } catch (error) {
      if (rpcErrorName(error) !== 'RANDOM_ID_DUPLICATE') throw error;
      if (delay !== undefined) await wait(delay, signal);
    }
  }
  for (const randomId of randomIds) {
    const id = answer === 'duplicate' ? undefined : answer.get(randomId);
    if (id !== undefined) settled[randomId] = id;
    else if (randomIds.length === 1) settled[randomId] = null;
  }
  if (Object.keys(settled).length > 0) await record?.(settled);
  crashPoint('telegram-sent');
  if (request instanceof Api.messages.SendMultiMedia) {
    for (const single of request.multiMedia) {
      if (!(decimal(single.randomId, request) in settled)) Object.assign(settled, await sendOnce(config, alone(request, single)));
    }
  }
  return settled;
}
