import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Api, errors, helpers, type TelegramClient } from 'telegram';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { PromisedNetSockets } from 'telegram/extensions/PromisedNetSockets.js';
import { StringSession } from 'telegram/sessions/index.js';
import { newTelegramClient } from '../../src/sinks/telegram/connectTelegram.js';
import { FullPacketReader, fullPacket, innermostQuery, openFromClient, readMessages, resultBytes, rpcError, rpcResult, sealForClient, ServerMessageIds, type ClientMessage } from './mtproto.js';
import { TelegramRecorder } from './telegramRecorder.js';

/**
 * Telegram on a loopback TCP port, speaking MTProto 2.0 to a real gramjs client, so that tests can
 * fail the network under gramjs's own `MTProtoSender`, `Connection` and `PromisedNetSockets` the
 * way it fails in the field: refused connections, sockets reset mid-request, a blackhole that
 * swallows everything. Requests are answered by a {@link TelegramRecorder} (or any handler); the
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
 * connections without a word (a sleeping phone, a dead NAT mapping); `reset` resets every open
 * connection once and keeps serving.
 */
export type Outage = 'refuse' | 'blackhole' | 'reset';

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
  outage: Outage | undefined;

  private readonly connections = new Set<WireConnection>();
  private readonly clients = new Set<TelegramClient>();
  private readonly ids = new ServerMessageIds();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly authKey: Buffer,
    /** The `TELEGRAM_SESSION` string: data center 2 at {@link wireAddress}:80 with {@link authKey}. */
    readonly session: string,
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

  /** Connections open now (blackholed ones included). */
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

  /** Fails the network; see {@link Outage}. Resolves once the failure is in place. */
  async goDown(outage: Outage): Promise<void> {
    if (outage === 'reset') {
      for (const connection of this.connections) connection.socket.resetAndDestroy();
      return;
    }
    this.outage = outage;
    if (outage === 'blackhole') {
      for (const connection of this.connections) connection.silence();
      return;
    }
    const closed = new Promise<void>((done) => this.server.close(() => done()));
    for (const connection of this.connections) connection.socket.destroy();
    await closed;
  }

  /**
   * Ends the outage: the port listens again. Connections a blackhole swallowed stay dead, and the
   * first bytes the client sends on one get a reset, as when the NAT mapping changed; with
   * `revive` they carry on, what arrived meanwhile read and answered, as when a phone wakes up.
   */
  async comeBack(options: { readonly revive?: boolean } = {}): Promise<void> {
    const outage = this.outage;
    this.outage = undefined;
    if (outage === 'refuse') await listen(this.server, this.port);
    if (outage === 'blackhole') for (const connection of this.connections) connection.wake(options.revive ?? false);
  }

  /** Destroys the clients it made, cuts every connection and stops listening. */
  async close(): Promise<void> {
    await Promise.all([...this.clients].map((client) => client.destroy().catch(() => undefined)));
    this.outage = 'refuse';
    for (const connection of this.connections) connection.socket.destroy();
    if (this.server.listening) await new Promise<void>((done) => this.server.close(() => done()));
  }

  private accept(socket: Socket): void {
    this.accepted++;
    const connection = new WireConnection(socket, this.authKey, this.ids, (message, reply) => this.serve(message, reply));
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
      connection.send(rpcResult(msgId, resultBytes(config())));
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

/** One client connection: TCP full packets in, sealed answers out, each way with its own counters. */
class WireConnection {
  private readonly packets = new FullPacketReader();
  /** Packets are read one after another, so requests reach the handler in the order they were sent. */
  private reading = Promise.resolve();
  private sentPackets = 0;
  private sentContent = 0;
  private salt: Buffer = Buffer.alloc(8);
  private sessionId: Buffer = Buffer.alloc(8);
  /** Blackholed: reads nothing, answers nothing. */
  private silent = false;
  /** Swallowed by a blackhole that has ended: the next bytes from the client get a reset. */
  private dead = false;

  constructor(
    readonly socket: Socket,
    private readonly authKey: Buffer,
    private readonly ids: ServerMessageIds,
    private readonly serve: (message: ClientMessage, connection: WireConnection) => Promise<void>,
  ) {
    socket.on('data', (chunk) => this.receive(chunk));
    // A client that goes away mid-write is an ordinary end of a connection, not a test failure.
    socket.on('error', () => undefined);
  }

  silence(): void {
    this.silent = true;
    this.socket.pause();
  }

  wake(revive: boolean): void {
    this.silent = false;
    this.dead = !revive;
    this.socket.resume();
  }

  /** Sends one content-related message (odd MTProto seq_no) in a TCP full packet. */
  send(body: Buffer): void {
    if (this.silent || this.dead || this.socket.destroyed) return;
    const sealed = sealForClient(this.authKey, { salt: this.salt, sessionId: this.sessionId, msgId: this.ids.next(), seqNo: this.sentContent++ * 2 + 1, body });
    this.socket.write(fullPacket(this.sentPackets++, sealed));
  }

  private receive(chunk: Buffer): void {
    if (this.dead) {
      this.socket.resetAndDestroy();
      return;
    }
    let payloads: Buffer[];
    try {
      payloads = this.packets.push(chunk);
    } catch {
      this.socket.destroy();
      return;
    }
    for (const payload of payloads) this.reading = this.reading.then(() => this.read(payload));
  }

  private async read(payload: Buffer): Promise<void> {
    try {
      const sealed = openFromClient(this.authKey, payload);
      this.salt = sealed.salt;
      this.sessionId = sealed.sessionId;
      for (const message of await readMessages(sealed.msgId, sealed.body)) void this.serve(message, this);
    } catch {
      // Telegram drops a connection that sends what it cannot read.
      this.socket.destroy();
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

/** The code and message Telegram sent, from the gramjs error made of them: some classes keep only a captured number. */
function rpcErrorOf(error: InstanceType<typeof errors.RPCError>): { code: number; message: string } {
  const captured: [new (...args: never[]) => object, string, number, 'seconds' | 'newDc'][] = [
    [errors.FloodTestPhoneWaitError, 'FLOOD_TEST_PHONE_WAIT_', 420, 'seconds'],
    [errors.SlowModeWaitError, 'SLOWMODE_WAIT_', 420, 'seconds'],
    [errors.FloodWaitError, 'FLOOD_WAIT_', 420, 'seconds'],
    [errors.FileMigrateError, 'FILE_MIGRATE_', 303, 'newDc'],
    [errors.PhoneMigrateError, 'PHONE_MIGRATE_', 303, 'newDc'],
    [errors.UserMigrateError, 'USER_MIGRATE_', 303, 'newDc'],
    [errors.NetworkMigrateError, 'NETWORK_MIGRATE_', 303, 'newDc'],
  ];
  for (const [Class, prefix, code, field] of captured) {
    if (error instanceof Class) return { code, message: `${prefix}${(error as unknown as Record<string, number>)[field]}` };
  }
  return { code: error.code ?? 400, message: error.errorMessage ?? 'UNKNOWN' };
}

/**
 * An answer that gramjs can read back. gramjs writes a `User` with `bot` set and no
 * `botInfoVersion` (or `restricted` and no reasons) with a flag bit that says the field follows,
 * and then leaves it out, as the recorder's default bot account is; such users are copied with the
 * field filled in. Everything else is sent as it is.
 */
function sendable<T>(value: T): T {
  if (Array.isArray(value)) {
    const items = value.map(sendable);
    return (items.some((item, index) => item !== value[index]) ? items : value) as T;
  }
  if (value === null || typeof value !== 'object' || !('className' in value)) return value;
  const changes: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === null || typeof field !== 'object') continue;
    const repaired = sendable(field);
    if (repaired !== field) changes[key] = repaired;
  }
  if (value instanceof Api.User) {
    if (value.bot && value.botInfoVersion === undefined) changes.botInfoVersion = 1;
    if (value.restricted && value.restrictionReason === undefined) changes.restrictionReason = [];
  }
  return Object.keys(changes).length === 0 ? value : (Object.assign(Object.create(Object.getPrototypeOf(value) as object), value, changes) as T);
}

/** What a login needs when the handler has no answer: the update state, and a user account as itself. */
function loginAnswer(request: Api.AnyRequest): unknown {
  if (request instanceof Api.updates.GetState) return new Api.updates.State({ pts: 1, qts: 0, date: Math.floor(Date.now() / 1000), seq: 0, unreadCount: 0 });
  if (request instanceof Api.users.GetUsers && request.id.every((input) => input instanceof Api.InputUserSelf)) {
    return request.id.map(() => new Api.User({ id: helpers.returnBigInt(777001), accessHash: helpers.returnBigInt(1), self: true, firstName: 'wire' }));
  }
  return undefined;
}

/** What `help.getConfig` answers, asked by every `connect()`: plausible values, every data center at the wire. */
function config(): Api.Config {
  const now = Math.floor(Date.now() / 1000);
  return new Api.Config({
    date: now,
    expires: now + 3600,
    testMode: false,
    thisDc: 2,
    dcOptions: [1, 2, 3, 4, 5].map((id) => new Api.DcOption({ id, ipAddress: wireAddress, port: 443 })),
    dcTxtDomainName: 'apv3.stel.com',
    chatSizeMax: 200,
    megagroupSizeMax: 200_000,
    forwardedCountMax: 100,
    onlineUpdatePeriodMs: 210_000,
    offlineBlurTimeoutMs: 5000,
    offlineIdleTimeoutMs: 30_000,
    onlineCloudTimeoutMs: 300_000,
    notifyCloudDelayMs: 30_000,
    notifyDefaultDelayMs: 1500,
    pushChatPeriodMs: 60_000,
    pushChatLimit: 2,
    editTimeLimit: 172_800,
    revokeTimeLimit: 2_147_483_647,
    revokePmTimeLimit: 2_147_483_647,
    ratingEDecay: 2_419_200,
    stickersRecentLimit: 200,
    channelsReadMediaPeriod: 604_800,
    callReceiveTimeoutMs: 20_000,
    callRingTimeoutMs: 90_000,
    callConnectTimeoutMs: 30_000,
    callPacketTimeoutMs: 10_000,
    meUrlPrefix: 'https://t.me/',
    captionLengthMax: 1024,
    messageLengthMax: 4096,
    webfileDcId: 4,
  });
}
