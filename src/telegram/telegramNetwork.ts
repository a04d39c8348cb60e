import type { TelegramClient } from 'telegram';
import { formatDuration } from '../duration.js';
import { UnreachableError } from '../errors.js';

/** Whether Telegram can be reached now, as the connected gramjs client sees it. */
export type NetworkState = { readonly up: true } | { readonly up: false; readonly since: number };

/** Told of every change of {@link NetworkState}. */
export type NetworkListener = (state: NetworkState) => void;

/** Options of {@link watchTelegramNetwork}. */
export interface TelegramNetworkConfig {
  /**
   * Milliseconds of unbroken downtime after which waiting requests fail with an
   * {@link UnreachableError}: the CLI's `--network-wait`. Default: `Infinity` (wait for good, as
   * the bot does).
   */
  readonly giveUpAfter?: number | undefined;
  /** Milliseconds between looks at the connection. Default: 1 000. */
  readonly checkEvery?: number | undefined;
  /**
   * Told when Telegram has been out of reach for `quietFor` (so a blip gramjs rides out by itself
   * goes untold), and when it is back after that.
   */
  readonly onChange?: NetworkListener | undefined;
  /** Milliseconds of downtime before `onChange` is told. Default: 5 000. */
  readonly quietFor?: number | undefined;
}

/** A watch over one client's connection; see {@link watchTelegramNetwork}. */
export interface TelegramNetwork {
  /** The state now. */
  readonly state: NetworkState;
  /**
   * Resolves as soon as the client is connected; rejects with an {@link UnreachableError} once
   * Telegram has been out of reach for `giveUpAfter`, or with the signal's reason when it aborts.
   */
  ready(signal?: AbortSignal): Promise<void>;
  /**
   * The request's own outcome, unless Telegram stays out of reach for `giveUpAfter` first: then an
   * {@link UnreachableError}. gramjs keeps a request that went out before a drop and sends it again
   * once it is connected again, so a request in flight is not sent a second time here.
   */
  guard<T>(request: Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Stops watching; a connection attempt under way is left to end by itself. */
  close(): void;
}

/** What unspool reads of gramjs's `MTProtoSender`: no public API tells a reconnection under way. */
interface SenderLook {
  readonly isConnecting?: boolean;
  readonly isReconnecting?: boolean;
}

const networks = new WeakMap<object, TelegramNetwork>();

/** The watch {@link watchTelegramNetwork} keeps over this client, if any. */
export function networkOf(client: object): TelegramNetwork | undefined {
  return networks.get(client);
}

/**
 * Keeps a gramjs client connected through network drops, and says when it waits.
 *
 * gramjs reconnects by itself after a drop, and sends again the requests that were in flight; but
 * after its `connectionRetries` it stops trying, leaving `connect()` answered `false` and every
 * request in flight unsettled for good (a phone in a tunnel for a minute is enough). This watch
 * looks at the connection every `checkEvery` and, whenever gramjs is not connected and not trying,
 * has it try again with `client.connect()`: requests gramjs kept then go out on the new
 * connection, under the same `random_id`s, and settle. After `giveUpAfter` of unbroken downtime,
 * {@link TelegramNetwork.ready} and {@link TelegramNetwork.guard} fail with an
 * {@link UnreachableError} that says to run again; the manifest is consistent at that moment, so
 * the next run resumes.
 *
 * The watch is registered for the client, so every `telegramCall` over it waits for the network
 * before a request and gives up with it ({@link networkOf}).
 *
 * @param client The client; it need not be connected yet (the watch connects it).
 * @param config How long to wait (default: for good), how often to look (default 1 s), and who to tell.
 */
export function watchTelegramNetwork(client: TelegramClient, config: TelegramNetworkConfig = {}): TelegramNetwork {
  const { giveUpAfter = Infinity, checkEvery = 1000, onChange, quietFor = 5_000 } = config;
  const sender = () => (client as unknown as { _sender?: SenderLook })._sender;
  const connected = () => client.connected === true && !sender()?.isReconnecting;
  /** Requests guarded now, and when one last settled: a connection is proven by an answer on it. */
  let pending = 0;
  let lastAnswer = -Infinity;
  let connectedSince: number | undefined;
  // Connected is not reachable: into a blackhole (a dead NAT mapping, a captive portal) gramjs
  // connects, and finds out only when its pings fail, 40 s later, to connect into it again. So
  // after a drop, a connection counts once a request has been answered on it, or when none waits.
  /**
   * Set when `connect()` answered without gramjs's sender behind it: a client whose network was
   * replaced (a test's stand-in for Telegram) has no connection to watch, so it is taken at its word.
   */
  let unwatchable = false;
  const isUp = () => {
    if (unwatchable) return true;
    if (!connected()) {
      connectedSince = undefined;
      return false;
    }
    connectedSince ??= Date.now();
    return state.up || pending === 0 || lastAnswer >= connectedSince;
  };
  let state: NetworkState = { up: false, since: Date.now() };
  let failure: UnreachableError | undefined;
  let lastAttempt = -Infinity;
  let told = false;
  let closed = false;
  const wake = new Set<() => void>();

  const look = () => {
    if (closed) return;
    const up = isUp();
    if (up !== state.up) {
      state = up ? { up: true } : { up: false, since: Date.now() };
      failure = undefined;
      if (up && told) onChange?.(state);
      told = false;
    }
    if (!state.up) {
      const downFor = Date.now() - state.since;
      if (!told && downFor >= quietFor) {
        told = true;
        onChange?.(state);
      }
      if (!failure && downFor >= giveUpAfter) {
        failure = new UnreachableError(`cannot reach Telegram (no connection for ${formatDuration(downFor)})`);
      }
      // `client.connect()` may stay unsettled after its connection is up (its first request went
      // out on a connection that dropped), so an attempt is judged by gramjs's own flags, with a
      // short grace for the moment before it sets them.
      const trying = connected() || sender()?.isConnecting || sender()?.isReconnecting || Date.now() - lastAttempt < 2 * checkEvery;
      if (!failure && !trying) {
        lastAttempt = Date.now();
        void client.connect().then(() => {
          if (sender() === undefined) unwatchable = true;
          look();
        }, look);
      }
    }
    // Referenced while Telegram is out of reach, as it is then what keeps a waiting run alive;
    // otherwise not, so that a run left with nothing to wait for is seen as such.
    if (state.up) timer?.unref();
    else timer?.ref();
    for (const waiter of [...wake]) waiter();
  };
  const timer: NodeJS.Timeout = setInterval(look, checkEvery);

  /** Settles when `check` says so, looking again at every tick and at the signal's abort. */
  const until = <T>(check: () => { done: true; value: T } | { done: false }, signal?: AbortSignal) =>
    new Promise<T>((resolve, reject) => {
      const settle = () => {
        if (signal?.aborted) return finish(() => reject(signal.reason));
        let outcome: ReturnType<typeof check>;
        try {
          outcome = check();
        } catch (error) {
          return finish(() => reject(error));
        }
        if (outcome.done) finish(() => resolve(outcome.value));
      };
      const finish = (then: () => void) => {
        wake.delete(settle);
        signal?.removeEventListener('abort', settle);
        then();
      };
      wake.add(settle);
      signal?.addEventListener('abort', settle, { once: true });
      settle();
    });

  const network: TelegramNetwork = {
    get state() {
      return state;
    },
    ready(signal) {
      return until(() => {
        if (state.up) return { done: true, value: undefined };
        if (failure) throw failure;
        return { done: false };
      }, signal);
    },
    guard<T>(request: Promise<T>, signal?: AbortSignal) {
      let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
      pending++;
      const settled = (result: NonNullable<typeof outcome>) => {
        outcome = result;
        pending--;
        lastAnswer = Date.now();
        look();
      };
      request.then(
        (value) => settled({ ok: true, value }),
        (error: unknown) => settled({ ok: false, error }),
      );
      return until<T>(() => {
        if (outcome?.ok) return { done: true, value: outcome.value };
        if (outcome) throw outcome.error;
        if (failure && !state.up) throw failure;
        return { done: false };
      }, signal);
    },
    close() {
      closed = true;
      clearInterval(timer);
      networks.delete(client);
    },
  };
  networks.set(client, network);
  look();
  return network;
}
