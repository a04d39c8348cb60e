// The part of unzipper's API that unspool uses (unzipper ships no types of its own).
declare module 'unzipper' {
  import type { Readable } from 'node:stream';
  interface CustomSource {
    size(): Promise<number>;
    stream(offset: number, length?: number): Readable;
  }
  const unzipper: {
    Open: {
      custom(source: CustomSource, options?: { tailSize?: number }): Promise<unknown>;
    };
  };
  export default unzipper;
}
