import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, crc32InJavaScript } from '../src/crc32.js';
import { pseudoRandomBytes } from './support/sampleBytes.js';

describe('crc32', () => {
  it('computes in JavaScript what zlib computes, for every length around the 8-byte steps', () => {
    const bytes = pseudoRandomBytes(1_000, 'crc32-lengths');
    for (let length = 0; length <= 40; length++) {
      expect(crc32InJavaScript(bytes.subarray(0, length))).toBe(zlib.crc32(bytes.subarray(0, length)));
    }
    expect(crc32InJavaScript(bytes)).toBe(zlib.crc32(bytes));
  });

  it('goes on from the CRC-32 of the bytes before, in JavaScript as in zlib', () => {
    const bytes = pseudoRandomBytes(70_001, 'crc32-running');
    const whole = zlib.crc32(bytes);
    let running = 0;
    for (let at = 0; at < bytes.length; at += 4_099) running = crc32InJavaScript(bytes.subarray(at, at + 4_099), running);
    expect(running).toBe(whole);
    expect(crc32(bytes.subarray(9), crc32(bytes.subarray(0, 9)))).toBe(whole);
  });

  it('knows the check value of the standard: "123456789" is 0xCBF43926', () => {
    expect(crc32InJavaScript(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('leaves the running value as it is for an empty chunk, where zlib answers 0 for a buffer of no memory', () => {
    const running = crc32(Buffer.from('some bytes before'));
    expect(crc32(new Uint8Array(0), running)).toBe(running);
    expect(crc32(Buffer.alloc(0), running)).toBe(running);
    expect(crc32InJavaScript(new Uint8Array(0), running)).toBe(running);
  });
});
