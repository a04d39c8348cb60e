import { createHash } from 'node:crypto';
import { Api } from 'telegram';
import { IGE } from 'telegram/crypto/IGE.js';
import { crc32 } from 'telegram/Helpers.js';
import { BinaryReader } from 'telegram/extensions/BinaryReader.js';
import { GZIPPacked, MessageContainer, TLMessage } from 'telegram/tl/core/index.js';

/**
 * The server's half of MTProto 2.0 as gramjs speaks it over its Node transport, for
 * `TelegramWire`: TCP "full" framing, the encryption of messages with a known auth key (no key
 * exchange), and the service messages around requests. Only what a server needs that gramjs does
 * not export: gramjs's `IGE`, `crc32`, `BinaryReader` and core classes do the rest.
 *
 * @see https://core.telegram.org/mtproto/mtproto-transports (framing)
 * @see https://core.telegram.org/mtproto/description (encryption)
 */

/** A TCP full packet: its length (all of it), the sender's packet counter, the payload and a CRC32 of the rest. */
export function fullPacket(seq: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32LE(payload.length + 12, 0);
  head.writeInt32LE(seq, 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(Buffer.concat([head, payload])), 0);
  return Buffer.concat([head, payload, crc]);
}

/**
 * Cuts a byte stream into TCP full packets' payloads. A packet whose checksum fails, or whose
 * length cannot be, ends the connection, as it would on Telegram's side.
 */
export class FullPacketReader {
  private pending: Buffer = Buffer.alloc(0);

  /** The payloads completed by this chunk, in order. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const payloads: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readInt32LE(0);
      if (length < 12 || length > 16 * 1024 * 1024) throw new Error(`not a TCP full packet: length ${length}`);
      if (this.pending.length < length) break;
      const packet = this.pending.subarray(0, length);
      this.pending = this.pending.subarray(length);
      if (crc32(packet.subarray(0, -4)) !== packet.readUInt32LE(length - 4)) throw new Error('TCP full packet with a bad CRC32');
      payloads.push(Buffer.from(packet.subarray(8, -4)));
    }
    return payloads;
  }
}

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

/** The id Telegram knows an auth key by: the low 64 bits of its SHA-1. */
export function authKeyId(authKey: Buffer): Buffer {
  return createHash('sha1').update(authKey).digest().subarray(12, 20);
}

/** AES key and IV of a message; `x` is 0 from the client, 8 from the server (as gramjs's `MTProtoState._calcKey`). */
function messageCipher(authKey: Buffer, msgKey: Buffer, x: 0 | 8): IGE {
  const a = sha256(msgKey, authKey.subarray(x, x + 36));
  const b = sha256(authKey.subarray(40 + x, 76 + x), msgKey);
  const key = Buffer.concat([a.subarray(0, 8), b.subarray(8, 24), a.subarray(24, 32)]);
  const iv = Buffer.concat([b.subarray(0, 8), a.subarray(8, 24), b.subarray(24, 32)]);
  return new IGE(key, iv);
}

/** One message inside an encrypted packet, either way. */
export interface SealedMessage {
  readonly salt: Buffer;
  readonly sessionId: Buffer;
  readonly msgId: bigint;
  readonly seqNo: number;
  readonly body: Buffer;
}

/**
 * Opens a packet from the client.
 *
 * @throws Error if it is not sealed with this auth key, or was tampered with.
 */
export function openFromClient(authKey: Buffer, payload: Buffer): SealedMessage {
  if (payload.length < 24 + 32 || !payload.subarray(0, 8).equals(authKeyId(authKey))) throw new Error('a packet not encrypted with the session\'s auth key');
  const msgKey = payload.subarray(8, 24);
  const plain = messageCipher(authKey, msgKey, 0).decryptIge(payload.subarray(24));
  if (!sha256(authKey.subarray(88, 120), plain).subarray(8, 24).equals(msgKey)) throw new Error('a packet whose msg_key does not match');
  const length = plain.readInt32LE(28);
  return { salt: plain.subarray(0, 8), sessionId: plain.subarray(8, 16), msgId: plain.readBigInt64LE(16), seqNo: plain.readInt32LE(24), body: plain.subarray(32, 32 + length) };
}

/** Seals a message for the client: 12 to 27 bytes of padding to a multiple of 16, `msg_key` from auth key bytes 96–128. */
export function sealForClient(authKey: Buffer, message: SealedMessage): Buffer {
  const head = Buffer.alloc(32);
  message.salt.copy(head, 0);
  message.sessionId.copy(head, 8);
  head.writeBigInt64LE(message.msgId, 16);
  head.writeInt32LE(message.seqNo, 24);
  head.writeInt32LE(message.body.length, 28);
  const unpadded = head.length + message.body.length;
  const padding = Buffer.alloc(12 + ((16 - ((unpadded + 12) % 16)) % 16), 0x5a);
  const plain = Buffer.concat([head, message.body, padding]);
  const msgKey = sha256(authKey.subarray(96, 128), plain).subarray(8, 24);
  return Buffer.concat([authKeyId(authKey), msgKey, messageCipher(authKey, msgKey, 8).encryptIge(plain)]);
}

/**
 * Ids of the server's messages: the time in their high half, as gramjs's clock checks expect, odd
 * (1 mod 4: an answer), and rising even within one millisecond.
 */
export class ServerMessageIds {
  private last = 0n;

  next(): bigint {
    const now = ((BigInt(Date.now()) << 32n) / 1000n) & ~3n;
    this.last = now > this.last ? now | 1n : this.last + 4n;
    return this.last;
  }
}

/** A message from the client with its object read: a request, a ping or a service message. */
export interface ClientMessage {
  readonly msgId: bigint;
  readonly object: unknown;
}

/** The messages in a body, containers and gzip opened; gramjs reads containers asynchronously. */
export async function readMessages(msgId: bigint, body: Buffer): Promise<ClientMessage[]> {
  const object: unknown = await new BinaryReader(body).tgReadObject();
  return unpack(msgId, object);
}

async function unpack(msgId: bigint, object: unknown): Promise<ClientMessage[]> {
  if (object instanceof MessageContainer) {
    // `messages` is private in gramjs's types only.
    const { messages } = object as unknown as { messages: TLMessage[] };
    const inner = await Promise.all(messages.map((message) => Promise.resolve(message.obj).then((obj) => unpack(BigInt(message.msgId.toString()), obj))));
    return inner.flat();
  }
  if (object instanceof GZIPPacked) return readMessages(msgId, object.data);
  return [{ msgId, object }];
}

/**
 * The query a request carries inside the wrappers gramjs puts around some: the layer and
 * connection settings of a connection's first request, and the ordering and update flags.
 */
export function innermostQuery(request: Api.AnyRequest): Api.AnyRequest {
  let query: unknown = request;
  while (
    query instanceof Api.InvokeWithLayer ||
    query instanceof Api.InitConnection ||
    query instanceof Api.InvokeAfterMsg ||
    query instanceof Api.InvokeAfterMsgs ||
    query instanceof Api.InvokeWithoutUpdates
  ) {
    query = query.query;
  }
  return query as Api.AnyRequest;
}

const int32 = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value >>> 0, 0);
  return bytes;
};

const isTlObject = (value: unknown): value is { getBytes(): Buffer } => typeof (value as { getBytes?: unknown } | null)?.getBytes === 'function';

/**
 * A result in Telegram's binary form: `Api` objects as themselves, `true`/`false` as boolTrue and
 * boolFalse, arrays as a boxed vector of objects, ints (numbers) or longs (gramjs's big integers),
 * as each request's `readResult` reads them.
 */
export function resultBytes(result: unknown): Buffer {
  if (result === true) return int32(0x997275b5);
  if (result === false) return int32(0xbc799737);
  if (Array.isArray(result)) {
    const item = (value: unknown) => {
      if (typeof value === 'number') return int32(value);
      if (isTlObject(value)) return value.getBytes();
      const long = Buffer.alloc(8);
      long.writeBigInt64LE(BigInt(String(value)), 0);
      return long;
    };
    return Buffer.concat([int32(0x1cb5c415), int32(result.length), ...result.map(item)]);
  }
  if (isTlObject(result)) return result.getBytes();
  throw new Error(`cannot send ${String(result)} as a result`);
}

/** `rpc_result req_msg_id:long result:Object`. */
export function rpcResult(reqMsgId: bigint, result: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt32LE(0xf35c6d01, 0);
  head.writeBigInt64LE(reqMsgId, 4);
  return Buffer.concat([head, result]);
}

/** `rpc_result` carrying `rpc_error error_code:int error_message:string`. */
export function rpcError(reqMsgId: bigint, code: number, message: string): Buffer {
  return rpcResult(reqMsgId, new Api.RpcError({ errorCode: code, errorMessage: message }).getBytes());
}
