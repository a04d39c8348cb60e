import { CutShortError, type Decoder } from './decodedStream.js';

/*
 * LZMA as zip stores it (APPNOTE 6.3.10 section 5.8): a 4-byte header (the LZMA SDK version that
 * wrote it, 2 bytes, and the size of the properties, 2 bytes, always 5), the 5 bytes of LZMA
 * properties (lc/lp/pb in one byte, the dictionary size in four), then the raw LZMA stream.
 * General-purpose flag bit 1 says the stream ends with an end marker; without it, the stream ends
 * at the entry's uncompressed size.
 *
 * The decoder follows Igor Pavlov's public-domain reference decoder, LzmaSpec.cpp (LZMA SDK,
 * DOC/lzma-specification.txt), step for step, with the names it uses, made to stop between two
 * symbols whenever its input runs low, so that it can be handed input as it comes.
 */

/** Bytes of zip's LZMA header: version, properties size, properties. */
const zipLzmaHeader = 9;
/** Decoded bytes handed on at a time. */
const outputChunk = 256 * 1024;
/** The longest match (kMatchMinLen + the largest length the length decoder gives). */
const maxMatch = 273;
/**
 * The most input bytes one symbol can take: each bit decoded reads at most one byte, and a match
 * decodes at most 1 + 3 + 10 + 6 + 26 + 4 bits. While more input may come, a symbol is decoded only
 * with this many bytes at hand, so that it never runs out halfway.
 */
const maxSymbolBytes = 64;

const kNumStates = 12;
const kNumPosBitsMax = 4;
const kNumLenToPosStates = 4;
const kNumAlignBits = 4;
const kEndPosModelIndex = 14;
const kNumFullDistances = 1 << (kEndPosModelIndex >>> 1);
const kMatchMinLen = 2;

/** Corrupt LZMA data, in words. */
class LzmaError extends Error {
  override readonly name = 'LzmaError';
}

/**
 * The range decoder, reading from an input buffer that the caller refills between symbols. `range`
 * and `code` are unsigned 32-bit values kept as int32 (V8 keeps those unboxed, and doubles it does
 * not), so they are compared unsigned by flipping their top bit.
 */
class RangeDecoder {
  input = new Uint8Array(0);
  at = 0;
  range = -1;
  code = 0;

  /** Reads the stream's first five bytes: a zero, then the initial code. */
  init(): void {
    if (this.next() !== 0) throw new LzmaError('invalid LZMA data: the stream does not start with a zero byte');
    for (let index = 0; index < 4; index++) this.code = (this.code << 8) | this.next();
    if (this.code === this.range) throw new LzmaError('invalid LZMA data: its first code is out of range');
  }

  /** The next input byte; past the end, 0 (the caller then finds `at` past the input). */
  next(): number {
    return this.input[this.at++] ?? 0;
  }

  /** Whether the stream ended cleanly: LzmaSpec's IsFinishedOK. */
  get finishedOk(): boolean {
    return this.code === 0;
  }

  /** Decodes one bit with the adaptive probability at `probs[index]`, and adapts it. */
  bit(probs: Uint16Array, index: number): number {
    const probability = probs[index]!;
    const bound = Math.imul(this.range >>> 11, probability);
    let bit: number;
    if ((this.code ^ 0x80000000) < (bound ^ 0x80000000)) {
      probs[index] = probability + ((2048 - probability) >>> 5);
      this.range = bound;
      bit = 0;
    } else {
      probs[index] = probability - (probability >>> 5);
      this.code = (this.code - bound) | 0;
      this.range = (this.range - bound) | 0;
      bit = 1;
    }
    if (this.range >>> 24 === 0) {
      this.range <<= 8;
      this.code = (this.code << 8) | this.next();
    }
    return bit;
  }

  /** Decodes `count` bits of equal probability, most significant first. */
  directBits(count: number): number {
    let result = 0;
    for (let index = 0; index < count; index++) {
      this.range = this.range >>> 1;
      let bit = 0;
      if ((this.code ^ 0x80000000) >= (this.range ^ 0x80000000)) {
        this.code = (this.code - this.range) | 0;
        bit = 1;
      }
      result = result * 2 + bit;
      if (this.range >>> 24 === 0) {
        this.range <<= 8;
        this.code = (this.code << 8) | this.next();
      }
    }
    return result;
  }

  /** A bit tree of `bits` levels at `probs[offset…]`: LzmaSpec's BitTreeDecode. */
  tree(probs: Uint16Array, offset: number, bits: number): number {
    let m = 1;
    for (let index = 0; index < bits; index++) m = (m << 1) + this.bit(probs, offset + m);
    return m - (1 << bits);
  }

  /** A bit tree read least significant bit first: LzmaSpec's BitTreeReverseDecode. */
  reverseTree(probs: Uint16Array, offset: number, bits: number): number {
    let m = 1;
    let symbol = 0;
    for (let index = 0; index < bits; index++) {
      const bit = this.bit(probs, offset + m);
      m = (m << 1) + bit;
      symbol |= bit << index;
    }
    return symbol;
  }
}

/** A length decoder: LzmaSpec's CLenDecoder, its probabilities in one array. */
class LengthDecoder {
  // choice, choice2, low (16 × 8), mid (16 × 8), high (256).
  private readonly probs = new Uint16Array(2 + 2 * (1 << kNumPosBitsMax) * 8 + 256).fill(1024);

  decode(range: RangeDecoder, posState: number): number {
    if (range.bit(this.probs, 0) === 0) return range.tree(this.probs, 2 + posState * 8, 3);
    if (range.bit(this.probs, 1) === 0) return 8 + range.tree(this.probs, 2 + (16 + posState) * 8, 3);
    return 16 + range.tree(this.probs, 2 + 32 * 8, 8);
  }
}

/** The decoder's state between two symbols. */
class LzmaDecoder {
  readonly range = new RangeDecoder();
  private readonly lc: number;
  private readonly lp: number;
  private readonly pb: number;
  private readonly dictSize: number;
  /** The dictionary, circular, and where the next byte goes. */
  private readonly dict: Uint8Array;
  private dictPos = 0;
  private totalPos = 0;
  /** Decoded bytes not yet handed on. */
  private readonly out = new Uint8Array(outputChunk + maxMatch);
  private outLength = 0;
  private unpackSize: number;
  private readonly markerIsMandatory: boolean;
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  private started = false;
  finished = false;

  private readonly literalProbs: Uint16Array;
  private readonly posSlot = new Uint16Array(kNumLenToPosStates << 6).fill(1024);
  private readonly posDecoders = new Uint16Array(1 + kNumFullDistances - kEndPosModelIndex).fill(1024);
  private readonly align = new Uint16Array(1 << kNumAlignBits).fill(1024);
  private readonly isMatch = new Uint16Array(kNumStates << kNumPosBitsMax).fill(1024);
  private readonly isRep = new Uint16Array(kNumStates).fill(1024);
  private readonly isRepG0 = new Uint16Array(kNumStates).fill(1024);
  private readonly isRepG1 = new Uint16Array(kNumStates).fill(1024);
  private readonly isRepG2 = new Uint16Array(kNumStates).fill(1024);
  private readonly isRep0Long = new Uint16Array(kNumStates << kNumPosBitsMax).fill(1024);
  private readonly lenDecoder = new LengthDecoder();
  private readonly repLenDecoder = new LengthDecoder();

  constructor(properties: Uint8Array, unpackSize: number, markerIsMandatory: boolean) {
    let d = properties[0]!;
    if (d >= 9 * 5 * 5) throw new LzmaError('invalid LZMA properties');
    this.lc = d % 9;
    d = Math.floor(d / 9);
    this.lp = d % 5;
    this.pb = Math.floor(d / 5);
    this.dictSize = Math.max(4096, properties[1]! | (properties[2]! << 8) | (properties[3]! << 16) | (properties[4]! * 2 ** 24));
    // No match reaches further back than the entry is long: a small entry needs no large dictionary.
    this.dict = new Uint8Array(Math.max(1, Math.min(this.dictSize, unpackSize)));
    this.literalProbs = new Uint16Array(0x300 << (this.lc + this.lp)).fill(1024);
    this.unpackSize = unpackSize;
    this.markerIsMandatory = markerIsMandatory;
  }

  /** Appends input, dropping what has been decoded. */
  push(chunk: Uint8Array): void {
    const rest = this.range.input.subarray(this.range.at);
    const input = new Uint8Array(rest.length + chunk.length);
    input.set(rest);
    input.set(chunk, rest.length);
    this.range.input = input;
    this.range.at = 0;
  }

  private putByte(byte: number): void {
    this.dict[this.dictPos++] = byte;
    if (this.dictPos === this.dict.length) this.dictPos = 0;
    this.out[this.outLength++] = byte;
    this.totalPos++;
  }

  /** Appends `length` bytes copied from `distance` back, as {@link putByte} would one by one. */
  private copyMatch(distance: number, length: number): void {
    const dict = this.dict;
    const out = this.out;
    let from = this.dictPos - distance;
    if (from < 0) from += dict.length;
    let to = this.dictPos;
    let outAt = this.outLength;
    for (let index = 0; index < length; index++) {
      const byte = dict[from++]!;
      if (from === dict.length) from = 0;
      dict[to++] = byte;
      if (to === dict.length) to = 0;
      out[outAt++] = byte;
    }
    this.dictPos = to;
    this.outLength = outAt;
    this.totalPos += length;
  }

  /** The byte `distance` bytes back (1 is the last one). */
  private getByte(distance: number): number {
    const at = this.dictPos - distance;
    return this.dict[at < 0 ? at + this.dict.length : at]!;
  }

  /**
   * Decodes a literal: the hot path (eight bits a byte), so the range decoder's state is kept in
   * locals and {@link RangeDecoder.bit} written out in each of LzmaSpec's two loops.
   */
  private decodeLiteral(): void {
    const prevByte = this.totalPos === 0 ? 0 : this.getByte(1);
    const litState = ((this.totalPos & ((1 << this.lp) - 1)) << this.lc) + (prevByte >>> (8 - this.lc));
    const base = 0x300 * litState;
    const probs = this.literalProbs;
    const rc = this.range;
    const input = rc.input;
    let { range, code, at } = rc;
    let symbol = 1;
    if (this.state >= 7) {
      // After a match, the literal's bits are coded with the bits of the byte at the match
      // distance as context, up to the first bit that differs from it.
      let matchByte = this.getByte(this.rep0 + 1);
      do {
        const matchBit = (matchByte >>> 7) & 1;
        matchByte <<= 1;
        const index = base + ((1 + matchBit) << 8) + symbol;
        const probability = probs[index]!;
        const bound = Math.imul(range >>> 11, probability);
        let bit: number;
        if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
          probs[index] = probability + ((2048 - probability) >>> 5);
          range = bound;
          bit = 0;
        } else {
          probs[index] = probability - (probability >>> 5);
          code = (code - bound) | 0;
          range = (range - bound) | 0;
          bit = 1;
        }
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | (input[at++] ?? 0);
        }
        symbol = (symbol << 1) | bit;
        if (matchBit !== bit) break;
      } while (symbol < 0x100);
    }
    while (symbol < 0x100) {
      const index = base + symbol;
      const probability = probs[index]!;
      const bound = Math.imul(range >>> 11, probability);
      if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
        probs[index] = probability + ((2048 - probability) >>> 5);
        range = bound;
        symbol <<= 1;
      } else {
        probs[index] = probability - (probability >>> 5);
        code = (code - bound) | 0;
        range = (range - bound) | 0;
        symbol = (symbol << 1) | 1;
      }
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | (input[at++] ?? 0);
      }
    }
    rc.range = range;
    rc.code = code;
    rc.at = at;
    this.putByte(symbol - 0x100);
  }

  private decodeDistance(length: number): number {
    const lenState = Math.min(length, kNumLenToPosStates - 1);
    const posSlot = this.range.tree(this.posSlot, lenState << 6, 6);
    if (posSlot < 4) return posSlot;
    const numDirectBits = (posSlot >>> 1) - 1;
    let distance = (2 | (posSlot & 1)) * 2 ** numDirectBits;
    if (posSlot < kEndPosModelIndex) return distance + this.range.reverseTree(this.posDecoders, distance - posSlot, numDirectBits);
    distance += this.range.directBits(numDirectBits - kNumAlignBits) * 2 ** kNumAlignBits;
    return distance + this.range.reverseTree(this.align, 0, kNumAlignBits);
  }

  /** Decodes one literal or match; sets `finished` at the end of the stream. */
  private symbol(): void {
    const range = this.range;
    if (this.unpackSize === 0 && !this.markerIsMandatory && range.finishedOk) {
      this.finished = true;
      return;
    }
    const posState = this.totalPos & ((1 << this.pb) - 1);
    const state = this.state;
    if (range.bit(this.isMatch, (state << kNumPosBitsMax) + posState) === 0) {
      if (this.unpackSize === 0) throw new LzmaError('invalid LZMA data: it goes on past the entry\'s size');
      this.decodeLiteral();
      this.state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
      this.unpackSize--;
      return;
    }
    let length: number;
    if (range.bit(this.isRep, state) !== 0) {
      if (this.unpackSize === 0) throw new LzmaError('invalid LZMA data: it goes on past the entry\'s size');
      if (this.totalPos === 0) throw new LzmaError('invalid LZMA data: a repeated match before any byte');
      if (range.bit(this.isRepG0, state) === 0) {
        if (range.bit(this.isRep0Long, (state << kNumPosBitsMax) + posState) === 0) {
          this.state = state < 7 ? 9 : 11;
          this.putByte(this.getByte(this.rep0 + 1));
          this.unpackSize--;
          return;
        }
      } else {
        let distance: number;
        if (range.bit(this.isRepG1, state) === 0) {
          distance = this.rep1;
        } else {
          if (range.bit(this.isRepG2, state) === 0) {
            distance = this.rep2;
          } else {
            distance = this.rep3;
            this.rep3 = this.rep2;
          }
          this.rep2 = this.rep1;
        }
        this.rep1 = this.rep0;
        this.rep0 = distance;
      }
      length = this.repLenDecoder.decode(range, posState);
      this.state = state < 7 ? 8 : 11;
    } else {
      this.rep3 = this.rep2;
      this.rep2 = this.rep1;
      this.rep1 = this.rep0;
      length = this.lenDecoder.decode(range, posState);
      this.state = state < 7 ? 7 : 10;
      this.rep0 = this.decodeDistance(length);
      if (this.rep0 === 0xffffffff) {
        if (!range.finishedOk) throw new LzmaError('invalid LZMA data: data after its end marker');
        if (this.unpackSize !== 0) throw new CutShortError('the LZMA stream ends before the entry does');
        this.finished = true;
        return;
      }
      if (this.unpackSize === 0) throw new LzmaError('invalid LZMA data: it goes on past the entry\'s size');
      if (this.rep0 >= this.dictSize || this.rep0 >= this.totalPos) throw new LzmaError('invalid LZMA data: a distance too far back');
    }
    length += kMatchMinLen;
    if (length > this.unpackSize) throw new LzmaError('invalid LZMA data: a match past the entry\'s size');
    this.copyMatch(this.rep0 + 1, length);
    this.unpackSize -= length;
  }

  /** Hands on the decoded bytes. */
  private flush(): Uint8Array {
    const chunk = this.out.slice(0, this.outLength);
    this.outLength = 0;
    return chunk;
  }

  /**
   * Decodes until a chunk of output is ready, and returns it; or returns `undefined` when more
   * input is needed, or when the stream has ended and everything was handed on.
   *
   * @param final Whether the input has ended: then the last symbols are decoded with what there is.
   */
  run(final: boolean): Uint8Array | undefined {
    const range = this.range;
    if (!this.started) {
      if (!final && range.input.length - range.at < 5) return undefined;
      range.init();
      this.started = true;
    }
    try {
      while (!this.finished && this.outLength < outputChunk && (final || range.input.length - range.at >= maxSymbolBytes)) {
        this.symbol();
        if (range.at > range.input.length) throw new CutShortError('the LZMA stream is cut short');
      }
    } catch (error) {
      // Past the end of the input the bytes read are zeros, which decode to nonsense: the data was
      // cut short rather than corrupt.
      if (error instanceof LzmaError && range.at > range.input.length) throw new CutShortError('the LZMA stream is cut short', { cause: error });
      throw error;
    }
    return this.outLength > 0 ? this.flush() : undefined;
  }
}

/**
 * A decoder of zip's LZMA (method 14): its 9-byte header, then the raw stream, decoded as it comes
 * in chunks of 256 KiB; memory stays at the dictionary (no larger than the entry), one chunk, and
 * the undecoded input. No package decodes raw LZMA as a stream without native code, hence this one.
 *
 * @param size The entry's uncompressed size: the stream ends there, or at its end marker.
 * @param endMarker Whether the stream ends with an end marker (general-purpose flag bit 1).
 */
export function lzmaDecoder(size: number, endMarker: boolean): Decoder {
  return async function* decodeLzma(input) {
    let header = new Uint8Array(0);
    let decoder: LzmaDecoder | undefined;
    for await (const chunk of input) {
      if (decoder === undefined) {
        const joined = new Uint8Array(header.length + chunk.length);
        joined.set(header);
        joined.set(chunk, header.length);
        header = joined;
        if (header.length < zipLzmaHeader) continue;
        const propertiesSize = header[2]! | (header[3]! << 8);
        if (propertiesSize !== 5) throw new LzmaError(`invalid LZMA header: ${propertiesSize} bytes of properties, not 5`);
        decoder = new LzmaDecoder(header.subarray(4, zipLzmaHeader), size, endMarker);
        decoder.push(header.subarray(zipLzmaHeader));
      } else {
        decoder.push(chunk);
      }
      for (let output = decoder.run(false); output; output = decoder.run(false)) yield output;
    }
    if (decoder === undefined) throw new CutShortError('the LZMA header is cut short');
    for (let output = decoder.run(true); output; output = decoder.run(true)) yield output;
    if (!decoder.finished) throw new CutShortError('the LZMA stream is cut short');
  };
}
