import { setTimeout as sleep } from 'node:timers/promises';
import type { TelegramClient } from 'telegram';

/** How often {@link senderSettled} looks again at a reconnecting sender, in milliseconds. */
const lookEvery = 50;

/**
 * Resolves once the client's gramjs sender is not reconnecting (at once when it is not, or when
 * the client has none: a test's stand-in for Telegram).
 *
 * gramjs loses a request handed to `invoke` while it reconnects: `MTProtoSender.reconnect()` waits
 * a second, then `_reconnect()` keeps only the requests already sent (those with a message id) and
 * clears its send queue, so a request queued meanwhile never goes and its promise never settles.
 * Requests in flight when the connection dropped are kept and sent again, so only new ones need
 * to wait; with many parts in flight a new one is asked for whenever one is answered, which a drop
 * makes likely.
 *
 * @param client The client whose main sender is looked at.
 * @param signal Stops the wait, rejecting with its reason.
 */
export async function senderSettled(client: TelegramClient, signal: AbortSignal): Promise<void> {
  const sender = () => (client as unknown as { _sender?: { isReconnecting?: boolean } })._sender;
  while (sender()?.isReconnecting) await sleep(lookEvery, undefined, { signal });
}
