/*
 * XXH64 (seed 0), the hash behind zstd's content checksum. Its 64-bit words are kept as two
 * unsigned 32-bit halves, and each operation leaves its result in `hi` and `lo` rather than in a
 * new object: hashing runs over every decoded byte, and BigInt or a pair per operation would
 * make it slower than the decoding itself.
 */

let hi = 0;
let lo = 0;

const prime1 = [0x9e3779b1, 0x85ebca87] as const;
const prime2 = [0xc2b2ae3d, 0x27d4eb4f] as const;
const prime3 = [0x165667b1, 0x9e3779f9] as const;
const prime4 = [0x85ebca77, 0xc2b2ae63] as const;
const prime5 = [0x27d4eb2f, 0x165667c5] as const;

function add(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const sum = aLo + bLo;
  lo = sum >>> 0;
  hi = (aHi + bHi + (sum > 0xffffffff ? 1 : 0)) >>> 0;
}

function multiply(aHi: number, aLo: number, bHi: number, bLo: number): void {
  // The low halves' full 64-bit product from 16-bit pieces, whose products are exact in a double.
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const b0 = bLo & 0xffff;
  const b1 = bLo >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const middle = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  hi = (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (middle >>> 16) + Math.imul(aHi, bLo) + Math.imul(aLo, bHi)) >>> 0;
  lo = ((middle << 16) | (p00 & 0xffff)) >>> 0;
}

function rotateLeft(aHi: number, aLo: number, bits: number): void {
  hi = ((aHi << bits) | (aLo >>> (32 - bits))) >>> 0;
  lo = ((aLo << bits) | (aHi >>> (32 - bits))) >>> 0;
}

/** XXH64's round: `rotl(acc + lane × prime2, 31) × prime1`. */
function round(accHi: number, accLo: number, laneHi: number, laneLo: number): void {
  multiply(laneHi, laneLo, prime2[0], prime2[1]);
  add(accHi, accLo, hi, lo);
  rotateLeft(hi, lo, 31);
  multiply(hi, lo, prime1[0], prime1[1]);
}

/** `(hash ^ round(0, lane)) × prime1 + prime4`, the step of merging a lane and of an 8-byte tail. */
function mixIn(hashHi: number, hashLo: number, laneHi: number, laneLo: number, rotate: number): void {
  round(0, 0, laneHi, laneLo);
  if (rotate === 0) multiply((hashHi ^ hi) >>> 0, (hashLo ^ lo) >>> 0, prime1[0], prime1[1]);
  else {
    rotateLeft((hashHi ^ hi) >>> 0, (hashLo ^ lo) >>> 0, rotate);
    multiply(hi, lo, prime1[0], prime1[1]);
  }
  add(hi, lo, prime4[0], prime4[1]);
}

/**
 * {@link round} over each 8-byte lane of the 32-byte stripes from `from` to `to`, into `lanes`
 * (high and low halves in turn). This is where the time goes, so it is {@link round} written out
 * with locals: four times faster than the calls.
 */
function consumeStripes(lanes: Uint32Array, bytes: Uint8Array, from: number, to: number): void {
  const [prime1Hi, prime1Lo] = prime1;
  const [prime2Hi, prime2Lo] = prime2;
  for (let at = from; at < to; at += 32) {
    for (let lane = 0; lane < 8; lane += 2) {
      const o = at + lane * 4;
      const laneLo = (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)) >>> 0;
      const laneHi = (bytes[o + 4]! | (bytes[o + 5]! << 8) | (bytes[o + 6]! << 16) | (bytes[o + 7]! << 24)) >>> 0;
      // lane × prime2
      let a0 = laneLo & 0xffff;
      let a1 = laneLo >>> 16;
      let p00 = a0 * (prime2Lo & 0xffff);
      let p01 = a0 * (prime2Lo >>> 16);
      let p10 = a1 * (prime2Lo & 0xffff);
      let middle = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      const productHi = (a1 * (prime2Lo >>> 16) + (p01 >>> 16) + (p10 >>> 16) + (middle >>> 16) + Math.imul(laneHi, prime2Lo) + Math.imul(laneLo, prime2Hi)) >>> 0;
      const productLo = ((middle << 16) | (p00 & 0xffff)) >>> 0;
      // accumulator + product
      const sum = lanes[lane + 1]! + productLo;
      const sumLo = sum >>> 0;
      const sumHi = (lanes[lane]! + productHi + (sum > 0xffffffff ? 1 : 0)) >>> 0;
      // rotated left by 31
      const rotatedHi = ((sumHi << 31) | (sumLo >>> 1)) >>> 0;
      const rotatedLo = ((sumLo << 31) | (sumHi >>> 1)) >>> 0;
      // × prime1 (a Uint32Array keeps the low 32 bits of what it is given)
      a0 = rotatedLo & 0xffff;
      a1 = rotatedLo >>> 16;
      p00 = a0 * (prime1Lo & 0xffff);
      p01 = a0 * (prime1Lo >>> 16);
      p10 = a1 * (prime1Lo & 0xffff);
      middle = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      lanes[lane] = a1 * (prime1Lo >>> 16) + (p01 >>> 16) + (p10 >>> 16) + (middle >>> 16) + Math.imul(rotatedHi, prime1Lo) + Math.imul(rotatedLo, prime1Hi);
      lanes[lane + 1] = (middle << 16) | (p00 & 0xffff);
    }
  }
}

const word32 = (bytes: Uint8Array, at: number) => (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;

/** An XXH64 with seed 0, fed with {@link Xxh64.update} and read with {@link Xxh64.low32}. */
export class Xxh64 {
  /** The four accumulators, high and low halves in turn. */
  private readonly lanes = new Uint32Array(8);
  private readonly stripe = new Uint8Array(32);
  private buffered = 0;
  private total = 0;

  constructor() {
    add(prime1[0], prime1[1], prime2[0], prime2[1]);
    this.lanes.set([hi, lo, prime2[0], prime2[1], 0, 0, ~prime1[0] >>> 0, (0x100000000 - prime1[1]) >>> 0]);
  }

  /** Hashes the next bytes. */
  update(bytes: Uint8Array): void {
    this.total += bytes.length;
    let at = 0;
    if (this.buffered > 0) {
      const taken = Math.min(32 - this.buffered, bytes.length);
      this.stripe.set(bytes.subarray(0, taken), this.buffered);
      this.buffered += taken;
      at = taken;
      if (this.buffered < 32) return;
      consumeStripes(this.lanes, this.stripe, 0, 32);
      this.buffered = 0;
    }
    const whole = at + Math.floor((bytes.length - at) / 32) * 32;
    consumeStripes(this.lanes, bytes, at, whole);
    at = whole;
    this.stripe.set(bytes.subarray(at), 0);
    this.buffered = bytes.length - at;
  }

  /** The low 32 bits of the hash of everything given, as zstd stores them. */
  low32(): number {
    const lanes = this.lanes;
    let hashHi: number;
    let hashLo: number;
    if (this.total >= 32) {
      rotateLeft(lanes[0]!, lanes[1]!, 1);
      let sumHi = hi;
      let sumLo = lo;
      for (const [lane, bits] of [[1, 7], [2, 12], [3, 18]] as const) {
        rotateLeft(lanes[lane * 2]!, lanes[lane * 2 + 1]!, bits);
        add(sumHi, sumLo, hi, lo);
        sumHi = hi;
        sumLo = lo;
      }
      for (let lane = 0; lane < 4; lane++) {
        mixIn(sumHi, sumLo, lanes[lane * 2]!, lanes[lane * 2 + 1]!, 0);
        sumHi = hi;
        sumLo = lo;
      }
      hashHi = sumHi;
      hashLo = sumLo;
    } else {
      hashHi = prime5[0];
      hashLo = prime5[1];
    }
    add(hashHi, hashLo, Math.floor(this.total / 0x100000000) >>> 0, this.total >>> 0);
    const tail = this.stripe;
    let at = 0;
    for (; at + 8 <= this.buffered; at += 8) mixIn(hi, lo, word32(tail, at + 4), word32(tail, at), 27);
    if (at + 4 <= this.buffered) {
      const [hashHi4, hashLo4] = [hi, lo];
      multiply(0, word32(tail, at), prime1[0], prime1[1]);
      rotateLeft((hashHi4 ^ hi) >>> 0, (hashLo4 ^ lo) >>> 0, 23);
      multiply(hi, lo, prime2[0], prime2[1]);
      add(hi, lo, prime3[0], prime3[1]);
      at += 4;
    }
    for (; at < this.buffered; at++) {
      const [hashHi1, hashLo1] = [hi, lo];
      multiply(0, tail[at]!, prime5[0], prime5[1]);
      rotateLeft((hashHi1 ^ hi) >>> 0, (hashLo1 ^ lo) >>> 0, 11);
      multiply(hi, lo, prime1[0], prime1[1]);
    }
    // The avalanche: h ^= h >> 33; h *= prime2; h ^= h >> 29; h *= prime3; h ^= h >> 32.
    multiply(hi, (lo ^ (hi >>> 1)) >>> 0, prime2[0], prime2[1]);
    multiply((hi ^ (hi >>> 29)) >>> 0, (lo ^ ((lo >>> 29) | (hi << 3))) >>> 0, prime3[0], prime3[1]);
    return (lo ^ hi) >>> 0;
  }
}
