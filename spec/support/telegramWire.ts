import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Api, errors, helpers, type TelegramClient } from 'telegram';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { PromisedNetSockets } from 'telegram/extensions/PromisedNetSockets.js';
import { StringSession } from 'telegram/sessions/index.js';
import { newTelegramClient } from '../../src/telegram/connectTelegram.js';
import { innermostQuery, resultBytes, rpcError, rpcResult, ServerMessageIds, type ClientMessage } from './mtproto.js';
import { loginAnswer, rpcErrorOf, sendable, telegramConfig } from './wireAnswers.js';
import { WireConnection } from './wireConnection.js';
import { TelegramRecorder } from './telegramRecorder.js';
import { holdUnreachable, type UnreachablePort } from './unreachablePort.js';

/**
 * Telegram on a loopback TCP port, speaking MTProto 2.0 to a real gramjs client, so that tests can
 * fail the network under gramjs's own `MTProtoSender`, `Connection` and `PromisedNetSockets` the
 * way it fails in the field: refused connections, sockets reset mid-request, a blackhole that
 * swallows everything, a network gone whose SYNs go unanswered. Requests are answered by a {@link TelegramRecorder} (or any handler); the
 * session carries a made-up auth key, so there is no key exchange.
 */

/**
 * The address the wire's session names. It cannot resolve, so a client that was not pointed at the
 * wire fails at once instead of reaching anything. `telegramWireRedirect.mjs` repeats it.
 */
export const wireAddress = 'telegram-wire.invalid';

/** The preload that points a child process's connections to {@link wireAddress} at the wire. */
export const wireRedirect = resolve('spec', 'support', 'telegramWireRedirect.mjs');

/**
 * How the network fails: `refuse` closes the port and every connection (new connections get
 * ECONNREFUSED); `blackhole` keeps everything open but reads and answers nothing, and accepts new
 * connections without a word (a sleeping phone, a dead NAT mapping); `unreachable` silences open
 * connections as `blackhole` does and leaves new connections' SYNs unanswered, so `connect()`
 * hangs until the kernel gives up (about 2 minutes on Linux: the network is gone); `reset` resets
 * every open connection once and keeps serving.
 */
export type Outage = 'refuse' | 'blackhole' | 'unreachable' | 'reset';

/**
 * What happens to a request: `answer` it; `drop-connection` lets Telegram act on it and then cuts
 * the connection before the answer leaves (the client never hears); `drop-unseen` cuts the
 * connection as the request arrives, so Telegram never sees it.
 */
export type RequestFate = 'answer' | 'drop-connection' | 'drop-unseen';

/** Answers a request as Telegram: an `Api` object, `true`/`false`, an array, or a thrown gramjs `RPCError`. */
export type WireHandler = (request: Api.AnyRequest) => Promise<unknown>;

/** Options of {@link TelegramWire.start}. */
export interface TelegramWireOptions {
  /** Telegram's side. Default: a new {@link TelegramRecorder}. */
  readonly recorder?: TelegramRecorder;
  /** Answers every request but `help.getConfig`. Default: the recorder's `client.invoke`. */
  readonly handler?: WireHandler;
}

/** Overrides of gramjs's retry settings for {@link TelegramWire.client}; unset ones stay unspool's. */
export interface WireClientOptions {
  /** Connection attempts per (re)connect. */
  readonly connectionRetries?: number;
  /** Milliseconds between connection attempts. */
  readonly retryDelay?: number;
}

const apiId = 12345;
const apiHash = '0123456789abcdef0123456789abcdef';

/** See the file's comment. */
export class TelegramWire {
  /** Asked as each request (unwrapped, pings aside) arrives: its {@link RequestFate}; unset or `undefined` answers it. */
  onRequest: ((request: Api.AnyRequest) => RequestFate | undefined) | undefined;
  /** Errors a handler threw that were not Telegram's (`RPCError`): the client got `400 WIRE_NO_ANSWER`. */
  readonly handlerErrors: unknown[] = [];
  /** Connections accepted so far, including those that were then cut. */
  accepted = 0;
  /** The outage now, if any. */
  outage: Exclude<Outage, 'reset'> | undefined;

  private readonly connections = new Set<WireConnection>();
  private readonly clients = new Set<TelegramClient>();
  private readonly ids = new ServerMessageIds();
  /** Holds the port while the network is `unreachable`. */
  private unreachable: UnreachablePort | undefined;

  private constructor(
    private readonly server: Server,
    /** The loopback port it listens on, the same again after a `refuse` outage. */
    readonly port: number,
    /** The 256-byte auth key the session carries and every message is sealed with. */
    readonly authKey: Buffer,
    /** The `TELEGRAM_SESSION` string: data center 2 at {@link wireAddress}:80 with {@link authKey}. */
    readonly session: string,
    /** Telegram's side: what it was asked and what it holds (also when a custom handler answers). */
    readonly recorder: TelegramRecorder,
    private readonly handler: WireHandler,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Listens on an ephemeral loopback port with a fresh 256-byte auth key. */
  static async start(options: TelegramWireOptions = {}): Promise<TelegramWire> {
    const recorder = options.recorder ?? new TelegramRecorder();
    const handler = options.handler ?? ((request: Api.AnyRequest) => recorder.client.invoke(request));
    const server = createServer();
    await listen(server, 0);
    const authKey = randomBytes(256);
    const stringSession = new StringSession('');
    stringSession.setDC(2, wireAddress, 80);
    const key = new AuthKey();
    await key.setKey(authKey);
    stringSession.setAuthKey(key);
    return new TelegramWire(server, (server.address() as { port: number }).port, authKey, stringSession.save(), recorder, handler);
  }

  /**
   * Connections open now. A blackholed one counts until the outage ends even if the client has
   * closed it: the wire reads nothing, so it does not hear the close.
   */
  get openConnections(): number {
    return this.connections.size;
  }

  /**
   * A real `TelegramClient` as unspool builds it ({@link newTelegramClient}) with the wire's session,
   * whose sockets connect to the wire whatever address and port gramjs asks for. {@link close}
   * destroys it if the test did not.
   */
  client(options: WireClientOptions = {}): TelegramClient {
    const client = newTelegramClient({ apiId, apiHash }, this.session);
    const wire = this;
    // `newTelegramClient` takes no socket class; gramjs reads `networkSocket` at every (re)connect.
    client.networkSocket = class WireSocket extends PromisedNetSockets {
      override connect(_port: number, _ip: string): Promise<unknown> {
        return super.connect(wire.port, '127.0.0.1');
      }
    };
    // Private fields, read when `connect()` builds the sender: the only way in short of a new client.
    const settings = client as unknown as { _connectionRetries: number; _retryDelay: number };
    if (options.connectionRetries !== undefined) settings._connectionRetries = options.connectionRetries;
    if (options.retryDelay !== undefined) settings._retryDelay = options.retryDelay;
    this.clients.add(client);
    return client;
  }

  /** The environment for a child process that runs the CLI against the wire (merge it into `process.env`). */
  env(): NodeJS.ProcessEnv {
    const preload = `--import=${pathToFileURL(wireRedirect).href}`;
    return {
      TELEGRAM_API_ID: String(apiId),
      TELEGRAM_API_HASH: apiHash,
      TELEGRAM_SESSION: this.session,
      // Set but empty counts as unset, so a token in the developer's environment cannot win.
      TELEGRAM_BOT_TOKEN: '',
      UNSPOOL_TEST_TELEGRAM_WIRE: `127.0.0.1:${this.port}`,
      NODE_OPTIONS: [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' '),
    };
  }

  /**
   * Fails the network; see {@link Outage}. Resolves once the failure is in place.
   *
   * @throws Error if the network is down already (other than for `reset`): {@link comeBack} first.
   */
  async goDown(outage: Outage): Promise<void> {
    if (outage === 'reset') {
      for (const connection of this.connections) connection.socket.resetAndDestroy();
      return;
    }
    if (this.outage) throw new Error(`the wire is down already (${this.outage}): comeBack() first`);
    this.outage = outage;
    if (outage === 'blackhole' || outage === 'unreachable') {
      for (const connection of this.connections) connection.silence();
    } else {
      for (const connection of this.connections) connection.socket.destroy();
    }
    if (outage === 'blackhole') return;
    // Stops listening at once; no waiting for the connections, as silenced ones live on.
    this.server.close();
    if (outage === 'unreachable') this.unreachable = await holdUnreachable(this.port);
  }

  /**
   * Ends the outage: the port listens again. Connections a blackhole swallowed stay dead, and the
   * first bytes the client sends on one get a reset, as when the NAT mapping changed; with
   * `revive` they carry on, what arrived meanwhile read and answered, as when a phone wakes up.
   */
  async comeBack(options: { readonly revive?: boolean } = {}): Promise<void> {
    const outage = this.outage;
    this.outage = undefined;
    await this.unreachable?.release();
    this.unreachable = undefined;
    if (outage === 'refuse' || outage === 'unreachable') await listen(this.server, this.port);
    if (outage === 'blackhole' || outage === 'unreachable') for (const connection of this.connections) connection.wake(options.revive ?? false);
  }

  /** Destroys the clients it made, cuts every connection and stops listening. */
  async close(): Promise<void> {
    await Promise.all([...this.clients].map((client) => client.destroy().catch(() => undefined)));
    this.outage = 'refuse';
    await this.unreachable?.release();
    this.unreachable = undefined;
    for (const connection of this.connections) connection.socket.destroy();
    if (this.server.listening) await new Promise<void>((done) => this.server.close(() => done()));
  }

  private accept(socket: Socket): void {
    this.accepted++;
    const connection = new WireConnection(socket, this.authKey, this.ids, (message, from) => this.serve(message, from));
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
    if (this.outage === 'blackhole') connection.silence();
  }

  /** Answers one message from a client: a pong for a ping, Telegram's answer for a request. */
  private async serve({ msgId, object }: ClientMessage, connection: WireConnection): Promise<void> {
    if (object instanceof Api.Ping || object instanceof Api.PingDelayDisconnect) {
      connection.send(new Api.Pong({ msgId: helpers.returnBigInt(msgId.toString()), pingId: object.pingId }).getBytes());
      return;
    }
    // Acknowledgements and other service messages need no answer.
    if ((object as { classType?: string } | null)?.classType !== 'request') return;
    const request = innermostQuery(object as Api.AnyRequest);
    if (request instanceof Api.help.GetConfig) {
      connection.send(rpcResult(msgId, resultBytes(telegramConfig(wireAddress))));
      return;
    }
    const fate = this.onRequest?.(request) ?? 'answer';
    if (fate === 'drop-unseen') {
      connection.socket.destroy();
      return;
    }
    const answer = await this.answer(request);
    if (fate === 'drop-connection') {
      connection.socket.destroy();
      return;
    }
    connection.send('error' in answer ? rpcError(msgId, answer.error.code, answer.error.message) : rpcResult(msgId, answer.bytes));
  }

  private async answer(request: Api.AnyRequest): Promise<{ bytes: Buffer } | { error: { code: number; message: string } }> {
    try {
      return { bytes: resultBytes(sendable(await this.handler(request))) };
    } catch (error) {
      if (error instanceof errors.RPCError) return { error: rpcErrorOf(error) };
      const fallback = loginAnswer(request);
      if (fallback !== undefined) return { bytes: resultBytes(fallback) };
      this.handlerErrors.push(error);
      return { error: { code: 400, message: 'WIRE_NO_ANSWER' } };
    }
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', fail);
      done();
    });
  });
}

