import type { Api, TelegramClient } from 'telegram';
import { realWait, type Wait } from '../retry.js';
import { floodWaitSeconds } from './telegramErrors.js';
import { senderSettled } from './senderSettled.js';
import { networkOf, type TelegramNetwork } from './telegramNetwork.js';

/**
 * The promise's outcome, or a rejection as soon as the signal aborts: an abandoned delivery does
 * not wait for an answer that may never come, so its files are closed at once.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

// The Telegram client's callers have always found the wait here; it is the one of every retry.
export { realWait, type Wait };

/** Something to tell the user while a request waits out a flood limit. */
export type FloodWaitListener = (seconds: number, request: string) => void;

/** Sends one request over {@link TelegramClient.invoke} and returns its answer. */
export type TelegramCall = <R extends Api.AnyRequest>(request: R, signal: AbortSignal) => Promise<R['__response']>;

/**
 * Every request unspool sends goes through here, to `client.invoke`. A `FLOOD_WAIT_X` or
 * `SLOWMODE_WAIT_X` answer waits exactly the seconds asked and sends the same request again; such a
 * wait does not count as a failed attempt. gramjs's own sleeping on floods is switched off
 * (`floodSleepThreshold: 0`) so that the wait is seen.
 *
 * A flood wait holds for the account, not for the one request that heard it
 * (https://core.telegram.org/api/errors, 420 FLOOD: "the maximum allowed number of attempts to
 * invoke the given method with the given input parameters has been exceeded"): while one request
 * waits, every other request of the same method through this call waits with it before it goes,
 * instead of going and hearing the same answer. Requests of other methods go on.
 *
 * Over a client that {@link watchTelegramNetwork} watches (every client `connectTelegram` makes),
 * a request waits for the network before it goes, and a request in flight when the network went
 * away fails with an `UnreachableError` once the watch gives up, instead of waiting for good. A
 * request never goes while gramjs reconnects, which would lose it ({@link senderSettled}).
 *
 * @param client The connected client; only its `invoke` is used.
 * @param wait How to wait. Default: a real timer.
 * @param onFloodWait Told of each wait before it starts.
 * @param network The watch over the client's connection. Default: the one kept for `client`, if any.
 */
export function telegramCall(
  client: TelegramClient,
  wait: Wait = realWait,
  onFloodWait?: FloodWaitListener,
  network: TelegramNetwork | undefined = networkOf(client),
): TelegramCall {
  /** The flood wait under way, by method: it settles (never rejects) when the wait is over. */
  const pauses = new Map<string, Promise<void>>();
  return async (request, signal) => {
    const method = request.className;
    for (;;) {
      signal.throwIfAborted();
      for (let pause = pauses.get(method); pause; pause = pauses.get(method)) await untilAborted(pause, signal);
      try {
        if (!network) {
          await senderSettled(client, signal);
          return await untilAborted(client.invoke(request), signal);
        }
        await network.ready(signal);
        await senderSettled(client, signal);
        return await network.guard(client.invoke(request), signal);
      } catch (error) {
        const seconds = floodWaitSeconds(error);
        if (seconds === undefined) throw error;
        onFloodWait?.(seconds, method);
        const pause: Promise<void> = wait(seconds * 1000, signal)
          .catch(() => undefined)
          .finally(() => {
            if (pauses.get(method) === pause) pauses.delete(method);
          });
        pauses.set(method, pause);
        await untilAborted(pause, signal);
      }
    }
  };
}
