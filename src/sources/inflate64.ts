import { CutShortError, type Decoder } from './decodedStream.js';

/*
 * Deflate64 ("Enhanced Deflating", zip method 9), as PKWARE never documented it and 7-Zip and zlib's
 * contrib/infback9 implement it: Deflate (RFC 1951) with three changes.
 * - The window is 64 KiB: distances reach 65536.
 * - Length code 285 is no longer 258 with 0 extra bits: it is base 3 with 16 extra bits (3…65538).
 * - Distance codes 30 and 31, unused in Deflate, are 32769 and 49153, each with 14 extra bits.
 * Nothing else differs: block types, Huffman tables and their encoding are Deflate's.
 */

/** Bytes of history a match may reach back into. */
const windowSize = 65536;
/** Bytes decoded between two chunks handed on. */
const outputChunk = 256 * 1024;
/** The longest match: length code 285 with all 16 extra bits set. */
const maxMatch = 65538;
/**
 * The most bits one literal/length symbol and its distance can take: 15 + 16 + 15 + 14. While
 * more input may come, a symbol is decoded only with this many bits at hand, so it never runs out.
 */
const maxSymbolBits = 64;
/** The most bits a block header takes (a dynamic one: 14 + 19 × 3 + 320 × (7 + 7)), rounded up. */
const maxHeaderBits = 4600;

const lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 3];
const lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 16];
const distanceBase = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577, 32769, 49153,
];
const distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14];
/** The order in which a dynamic block lists the code lengths of the code-length alphabet. */
const codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A Huffman code as a lookup table: indexed by the next `bits` input bits, `symbol << 4 | length`. */
interface HuffmanTable {
  readonly table: Uint16Array;
  readonly bits: number;
}

/** Corrupt Deflate64 data, in words. */
class Inflate64Error extends Error {
  override readonly name = 'Inflate64Error';
}

/**
 * The lookup table of a canonical Huffman code from its code lengths (RFC 1951 3.2.2). Codes are
 * read least significant bit first, so each code is entered bit-reversed, at every index whose low
 * bits it is. An over-subscribed code is corrupt; an incomplete one is allowed (a lone distance
 * code), and its unused entries stay 0, which decoding refuses.
 */
function huffmanTable(lengths: ArrayLike<number>): HuffmanTable {
  const counts = new Uint16Array(16);
  let bits = 1;
  for (let symbol = 0; symbol < lengths.length; symbol++) {
    counts[lengths[symbol]!]!++;
    bits = Math.max(bits, lengths[symbol]!);
  }
  counts[0] = 0;
  const next = new Uint16Array(16);
  let left = 1;
  for (let length = 1, code = 0; length <= 15; length++) {
    left = (left << 1) - counts[length]!;
    if (left < 0) throw new Inflate64Error('invalid Deflate64 data: an over-subscribed Huffman code');
    code = (code + counts[length - 1]!) << 1;
    next[length] = code;
  }
  const table = new Uint16Array(1 << bits);
  for (let symbol = 0; symbol < lengths.length; symbol++) {
    const length = lengths[symbol]!;
    if (length === 0) continue;
    const code = next[length]!++;
    let reversed = 0;
    for (let bit = 0; bit < length; bit++) reversed |= ((code >> bit) & 1) << (length - 1 - bit);
    for (let at = reversed; at < table.length; at += 1 << length) table[at] = (symbol << 4) | length;
  }
  return { table, bits };
}

const fixedLiterals = huffmanTable(Array.from({ length: 288 }, (_, symbol) => (symbol < 144 ? 8 : symbol < 256 ? 9 : symbol < 280 ? 7 : 8)));
const fixedDistances = huffmanTable(new Array<number>(32).fill(5));

/**
 * A Deflate64 decoder that is handed input as it comes and asked for output, keeping only its
 * window, the input not yet decoded, and one chunk of output. Between calls it stops at a block
 * boundary or between two symbols, so that input may end anywhere.
 */
class Inflate64 {
  private input = new Uint8Array(0);
  /** The next input bit, counted from the start of `input`. */
  private at = 0;
  /** The window and the output not yet handed on: history up to `emitted`, new bytes after. */
  private readonly output = new Uint8Array(windowSize + outputChunk + maxMatch);
  private written = 0;
  private emitted = 0;
  private state: 'header' | 'stored' | 'codes' | 'done' = 'header';
  private lastBlock = false;
  private storedLeft = 0;
  private literals: HuffmanTable = fixedLiterals;
  private distances: HuffmanTable = fixedDistances;

  /** Whether the final block has ended. */
  get done(): boolean {
    return this.state === 'done' && this.written === this.emitted;
  }

  /** Appends input, dropping what has been decoded. */
  push(chunk: Uint8Array): void {
    const rest = this.input.subarray(this.at >>> 3);
    const input = new Uint8Array(rest.length + chunk.length);
    input.set(rest);
    input.set(chunk, rest.length);
    this.input = input;
    this.at &= 7;
  }

  /** Bits of input not yet decoded. */
  private get available(): number {
    return this.input.length * 8 - this.at;
  }

  /** The next `count` bits (at most 24), least significant first; past the input, zeros. */
  private bits(count: number): number {
    const input = this.input;
    const byte = this.at >>> 3;
    const word = (input[byte]! | (input[byte + 1]! << 8) | (input[byte + 2]! << 16) | (input[byte + 3]! << 24)) >>> (this.at & 7);
    this.at += count;
    return word & ((1 << count) - 1);
  }

  /** The next symbol of a Huffman code. */
  private symbol({ table, bits }: HuffmanTable): number {
    const input = this.input;
    const byte = this.at >>> 3;
    const word = (input[byte]! | (input[byte + 1]! << 8) | (input[byte + 2]! << 16) | (input[byte + 3]! << 24)) >>> (this.at & 7);
    const entry = table[word & ((1 << bits) - 1)]!;
    if (entry === 0) throw new Inflate64Error('invalid Deflate64 data: a code that the Huffman table does not have');
    this.at += entry & 15;
    return entry >>> 4;
  }

  /** Reads a block header and sets up the block: a stored block's length, or its Huffman tables. */
  private header(): void {
    this.lastBlock = this.bits(1) === 1;
    const type = this.bits(2);
    if (type === 0) {
      this.at = (this.at + 7) & ~7;
      const length = this.bits(16);
      if ((length ^ 0xffff) !== this.bits(16)) throw new Inflate64Error('invalid Deflate64 data: a stored block whose length does not match its complement');
      this.storedLeft = length;
      this.state = 'stored';
    } else if (type === 1) {
      this.literals = fixedLiterals;
      this.distances = fixedDistances;
      this.state = 'codes';
    } else if (type === 2) {
      this.dynamicTables();
      this.state = 'codes';
    } else {
      throw new Inflate64Error('invalid Deflate64 data: block type 3');
    }
  }

  /** Reads a dynamic block's code lengths (RFC 1951 3.2.7) and builds its two tables. */
  private dynamicTables(): void {
    const literalCount = this.bits(5) + 257;
    const distanceCount = this.bits(5) + 1;
    const codeLengthCount = this.bits(4) + 4;
    const codeLengthLengths = new Uint8Array(19);
    for (let index = 0; index < codeLengthCount; index++) codeLengthLengths[codeLengthOrder[index]!] = this.bits(3);
    const codeLengths = huffmanTable(codeLengthLengths);
    const lengths = new Uint8Array(literalCount + distanceCount);
    for (let index = 0; index < lengths.length; ) {
      const symbol = this.symbol(codeLengths);
      if (symbol < 16) {
        lengths[index++] = symbol;
        continue;
      }
      if (symbol === 16 && index === 0) throw new Inflate64Error('invalid Deflate64 data: a repeat with no length before it');
      const [value, repeat] = symbol === 16 ? [lengths[index - 1]!, 3 + this.bits(2)] : symbol === 17 ? [0, 3 + this.bits(3)] : [0, 11 + this.bits(7)];
      if (index + repeat > lengths.length) throw new Inflate64Error('invalid Deflate64 data: code lengths repeat past their count');
      lengths.fill(value, index, index + repeat);
      index += repeat;
    }
    if (lengths[256] === 0) throw new Inflate64Error('invalid Deflate64 data: no code for the end of the block');
    this.literals = huffmanTable(lengths.subarray(0, literalCount));
    this.distances = huffmanTable(lengths.subarray(literalCount));
  }

  /** Copies what it can of a stored block: as much as has come, and as the output chunk holds. */
  private stored(): boolean {
    const count = Math.min(this.storedLeft, this.input.length - (this.at >>> 3), this.emitted + outputChunk - this.written);
    if (count === 0 && this.storedLeft > 0) return false;
    const from = this.at >>> 3;
    this.output.set(this.input.subarray(from, from + count), this.written);
    this.written += count;
    this.at += count * 8;
    this.storedLeft -= count;
    if (this.storedLeft === 0) this.state = this.lastBlock ? 'done' : 'header';
    return true;
  }

  /** Decodes symbols until the block ends, the output chunk is full, or the input runs low. */
  private codes(final: boolean): void {
    const output = this.output;
    const limit = this.emitted + outputChunk;
    while (this.written < limit && (final || this.available >= maxSymbolBits)) {
      const symbol = this.symbol(this.literals);
      if (symbol < 256) {
        output[this.written++] = symbol;
        continue;
      }
      if (symbol === 256) {
        this.state = this.lastBlock ? 'done' : 'header';
        return;
      }
      const code = symbol - 257;
      if (code >= lengthBase.length) throw new Inflate64Error(`invalid Deflate64 data: length symbol ${symbol}`);
      const length = lengthBase[code]! + this.bits(lengthExtra[code]!);
      const distanceCode = this.symbol(this.distances);
      const distance = distanceBase[distanceCode]! + this.bits(distanceExtra[distanceCode]!);
      if (distance > this.written) throw new Inflate64Error('invalid Deflate64 data: a distance too far back');
      // Byte by byte: a match may overlap the bytes it writes (a run).
      for (let from = this.written - distance, end = this.written + length; this.written < end; ) output[this.written++] = output[from++]!;
    }
  }

  /** Hands on the decoded bytes and keeps the last 64 KiB of them as history. */
  private flush(): Uint8Array {
    const chunk = this.output.slice(this.emitted, this.written);
    if (this.written > windowSize) {
      this.output.copyWithin(0, this.written - windowSize, this.written);
      this.written = windowSize;
    }
    this.emitted = this.written;
    return chunk;
  }

  /**
   * Decodes until a chunk of output is ready, and returns it; or returns `undefined` when more
   * input is needed, or when the stream has ended and everything was handed on.
   *
   * @param final Whether the input has ended: then the last symbols are decoded with what there is.
   */
  run(final: boolean): Uint8Array | undefined {
    try {
      return this.step(final);
    } catch (error) {
      // Past the end of the input the bits read are zeros, which decode to nonsense: the data was
      // cut short rather than corrupt.
      if (final && error instanceof Inflate64Error && this.at + maxSymbolBits > this.input.length * 8) {
        throw new CutShortError('the Deflate64 stream is cut short', { cause: error });
      }
      throw error;
    }
  }

  /** {@link run}, without telling a cut from corruption. */
  private step(final: boolean): Uint8Array | undefined {
    for (;;) {
      if (this.written - this.emitted >= outputChunk) return this.flush();
      if (this.state === 'done') return this.written > this.emitted ? this.flush() : undefined;
      if (this.state === 'header') {
        if (!final && this.available < maxHeaderBits) return this.written > this.emitted ? this.flush() : undefined;
        this.header();
      } else if (this.state === 'stored') {
        if (!this.stored()) return this.written > this.emitted ? this.flush() : undefined;
      } else {
        this.codes(final);
        // Still inside the block with room for output: the input ran low.
        if (!final && this.state === 'codes' && this.written - this.emitted < outputChunk) return this.written > this.emitted ? this.flush() : undefined;
      }
      if (this.at > this.input.length * 8) throw new CutShortError('the Deflate64 stream is cut short');
    }
  }
}

/**
 * Decodes Deflate64 (zip method 9), which zlib does not: a few hundred lines of TypeScript, since
 * no maintained package does it. Output leaves in chunks of 256 KiB, decoded only as they are
 * asked for; memory stays at the 64 KiB window, one chunk, and the undecoded input. Corrupt data
 * throws; input that ends inside the stream throws a {@link CutShortError}.
 */
export const inflate64: Decoder = async function* inflate64(input) {
  const decoder = new Inflate64();
  for await (const chunk of input) {
    decoder.push(chunk);
    for (let output = decoder.run(false); output; output = decoder.run(false)) yield output;
  }
  for (let output = decoder.run(true); output; output = decoder.run(true)) yield output;
  if (!decoder.done) throw new CutShortError('the Deflate64 stream is cut short');
};
