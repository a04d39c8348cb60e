/**
 * XXH64 (seed 0), the hash behind zstd's content checksum, over bytes that arrive in pieces. Its
 * 64-bit words are kept as two unsigned 32-bit halves, which Node computes much faster than BigInt.
 */

/** A 64-bit word: high and low unsigned 32-bit halves. */
type Word = [hi: number, lo: number];

const prime1: Word = [0x9e3779b1, 0x85ebca87];
const prime2: Word = [0xc2b2ae3d, 0x27d4eb4f];
const prime3: Word = [0x165667b1, 0x9e3779f9];
const prime4: Word = [0x85ebca77, 0xc2b2ae63];
const prime5: Word = [0x27d4eb2f, 0x165667c5];

function add(a: Word, b: Word): Word {
  const lo = a[1] + b[1];
  return [(a[0] + b[0] + (lo > 0xffffffff ? 1 : 0)) >>> 0, lo >>> 0];
}

function multiply(a: Word, b: Word): Word {
  const a0 = a[1] & 0xffff;
  const a1 = a[1] >>> 16;
  const b0 = b[1] & 0xffff;
  const b1 = b[1] >>> 16;
  const middle = a1 * b0 + a0 * b1;
  const lo = a0 * b0 + (middle % 0x10000) * 0x10000;
  const hi = a1 * b1 + Math.floor(middle / 0x10000) + Math.floor(lo / 0x100000000) + Math.imul(a[0], b[1]) + Math.imul(a[1], b[0]);
  return [hi >>> 0, lo >>> 0];
}

function rotateLeft([hi, lo]: Word, bits: number): Word {
  return [((hi << bits) | (lo >>> (32 - bits))) >>> 0, ((lo << bits) | (hi >>> (32 - bits))) >>> 0];
}

function xor(a: Word, b: Word): Word {
  return [(a[0] ^ b[0]) >>> 0, (a[1] ^ b[1]) >>> 0];
}

function shiftRight([hi, lo]: Word, bits: number): Word {
  return bits >= 32 ? [0, hi >>> (bits - 32)] : [hi >>> bits, ((lo >>> bits) | (hi << (32 - bits))) >>> 0];
}

function round(accumulator: Word, lane: Word): Word {
  return multiply(rotateLeft(add(accumulator, multiply(lane, prime2)), 31), prime1);
}

function mergeRound(accumulator: Word, value: Word): Word {
  return add(multiply(xor(accumulator, round([0, 0], value)), prime1), prime4);
}

function laneAt(bytes: Uint8Array, at: number): Word {
  const lo = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  const hi = (bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24)) >>> 0;
  return [hi, lo];
}

/** An XXH64 with seed 0, fed with {@link Xxh64.update} and read with {@link Xxh64.low32}. */
export class Xxh64 {
  private readonly lanes: Word[] = [add(prime1, prime2), prime2, [0, 0], [(0x100000000 - prime1[0] - 1) >>> 0, (0x100000000 - prime1[1]) >>> 0]];
  private readonly stripe = new Uint8Array(32);
  private buffered = 0;
  private total = 0;

  update(bytes: Uint8Array): void {
    this.total += bytes.length;
    let at = 0;
    if (this.buffered > 0) {
      const taken = Math.min(32 - this.buffered, bytes.length);
      this.stripe.set(bytes.subarray(0, taken), this.buffered);
      this.buffered += taken;
      at = taken;
      if (this.buffered < 32) return;
      this.consume(this.stripe, 0);
      this.buffered = 0;
    }
    for (; at + 32 <= bytes.length; at += 32) this.consume(bytes, at);
    this.stripe.set(bytes.subarray(at), 0);
    this.buffered = bytes.length - at;
  }

  /** The low 32 bits of the hash of everything given, as zstd stores them. */
  low32(): number {
    const [v1, v2, v3, v4] = this.lanes as [Word, Word, Word, Word];
    let hash: Word;
    if (this.total >= 32) {
      hash = add(add(rotateLeft(v1, 1), rotateLeft(v2, 7)), add(rotateLeft(v3, 12), rotateLeft(v4, 18)));
      for (const lane of this.lanes) hash = mergeRound(hash, lane);
    } else {
      hash = prime5;
    }
    hash = add(hash, [Math.floor(this.total / 0x100000000) >>> 0, this.total >>> 0]);
    const tail = this.stripe;
    let at = 0;
    for (; at + 8 <= this.buffered; at += 8) hash = add(multiply(rotateLeft(xor(hash, round([0, 0], laneAt(tail, at))), 27), prime1), prime4);
    if (at + 4 <= this.buffered) {
      const word = (tail[at]! | (tail[at + 1]! << 8) | (tail[at + 2]! << 16) | (tail[at + 3]! << 24)) >>> 0;
      hash = add(multiply(rotateLeft(xor(hash, multiply([0, word], prime1)), 23), prime2), prime3);
      at += 4;
    }
    for (; at < this.buffered; at++) hash = multiply(rotateLeft(xor(hash, multiply([0, tail[at]!], prime5)), 11), prime1);
    hash = multiply(xor(hash, shiftRight(hash, 33)), prime2);
    hash = multiply(xor(hash, shiftRight(hash, 29)), prime3);
    hash = xor(hash, shiftRight(hash, 32));
    return hash[1];
  }

  private consume(bytes: Uint8Array, at: number): void {
    for (let lane = 0; lane < 4; lane++) this.lanes[lane] = round(this.lanes[lane]!, laneAt(bytes, at + lane * 8));
  }
}
