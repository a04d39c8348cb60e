/**
 * The conformance corpus (`spec/corpus/yauzl`: real-world zips collected by the yauzl project, which
 * nobody on this project wrote; see `spec/corpus/README.md`), sent through the built CLI one archive
 * at a time, in a fresh workspace each. It checks what the corpus README expects:
 *
 * - for every archive: an exit code of 0, 1 or 3 that matches the JSON summary (the last stdout
 *   line), every entry accounted for, a reason for every skipped or failed entry, one stderr line
 *   `unspool: <archive>: <entry>: <what happened>` per failure and nothing else on stderr, albums
 *   that keep Telegram's rules, nothing in the sink that no `album.json` lists, nothing written
 *   beside `out` and `state`, and no temp files left in `<state>/tmp` or `$TMPDIR`;
 * - `success/NAME.zip`: every non-empty file of `success/NAME/` delivered byte for byte under its
 *   entry name and nothing else, its zero-byte files skipped as `empty`; the
 *   `traditional-encryption*` archives deliver nothing and skip their entries as `encrypted`, and
 *   with `--password a` (the password they were written with) deliver every file byte for byte;
 * - `failure/*.zip` and `wrong-entry-sizes/`: no delivered file whose bytes fail the CRC-32 and size
 *   that the archive declares, and, where the corpus README makes the outcome knowable, exactly that
 *   outcome (the `outcomes` table). Where unspool does not behave so today, `knownBugs` says why, and
 *   the test is expected to fail until it is fixed.
 *
 * The corpus folder is listed when the spec loads, so archives added to it are tested too; a missing
 * or empty folder fails the spec as it loads, so that its cases cannot silently drop out of a run.
 */
import { constants as bufferConstants } from 'node:buffer';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SummaryItem } from '../../src/summary.js';
import { type CliResult, runCli, sendArgs } from '../support/runCli.js';
import { sha256 } from '../support/sampleBytes.js';
import { zipCryptoDecrypt } from '../support/zipCrypto.js';
import { createWorkspace, type DeliveredAlbum, deliveredFiles, filesUnder, readAlbums, removeWorkspace, type Workspace } from '../support/workspace.js';

const yauzl = resolve('spec', 'corpus', 'yauzl');

/**
 * The `.zip` files of a corpus folder, sorted. A missing folder or one without archives throws as
 * the spec loads: the corpus is part of the repository, and a run without it must not pass.
 */
function zipsIn(folder: string): string[] {
  const path = join(yauzl, folder);
  const zips = (existsSync(path) ? readdirSync(path) : []).filter((name) => name.endsWith('.zip')).sort().map((name) => `${folder}/${name}`);
  if (zips.length === 0) throw new Error(`no .zip in ${path}: the conformance corpus is missing (see spec/corpus/README.md)`);
  return zips;
}

const successes = zipsIn('success');
const failures = [...zipsIn('failure'), ...zipsIn('wrong-entry-sizes')];

/** What the summary calls the archive when it cannot be read at all. */
const wholeArchive = '(the whole archive)';

/** An entry that must fail: its reason (a pattern where more than one is defensible) and what its message says. */
interface FailedEntry {
  readonly reason: string | RegExp;
  readonly detail: RegExp;
}

/** What the README makes of a broken archive, where that is knowable. */
interface Outcome {
  /** The test's name: what happens, and why the README says so. */
  readonly says: string;
  readonly exit: 0 | 1 | 3;
  /** Entries delivered, in archive order. */
  readonly delivered?: readonly string[];
  /** Entries skipped, with their reason, in archive order. */
  readonly skipped?: Readonly<Record<string, string>>;
  /** Entries failed, in archive order; the whole archive fails as {@link wholeArchive}. */
  readonly failed?: Readonly<Record<string, FailedEntry>>;
}

const unreadable = (detail: RegExp): NonNullable<Outcome['failed']> => ({ [wholeArchive]: { reason: 'unreadable', detail } });

/**
 * The expected outcome of each broken archive, by its path in the corpus. Entries whose names are
 * only dangerous as paths are delivered (under safe names, which every test checks); the others
 * follow the reasons of unspool's README.
 */
const outcomes: Readonly<Record<string, Outcome>> = {
  'failure/End of central directory record signature not found Either not a zip file or file is truncated.zip': {
    says: 'exits 3: without an end of central directory record the zip cannot be read',
    exit: 3,
    failed: unreadable(/^no end of central directory/),
  },
  'failure/End of central directory record signature not found Either not a zip file or file is truncated_1.zip': {
    says: 'exits 3: an empty file is not an archive',
    exit: 3,
    failed: unreadable(/^not a zip, 7z, RAR or tar archive \(a tar may be gzip, xz, bzip2 or zstd compressed\)$/),
  },
  'failure/Invalid comment length Expected 1 Found 0 Are there extra bytes at the end of the file Or is the end of central dir signature PK in the com.zip': {
    says: 'delivers both entries: only a stray byte follows an intact end record',
    exit: 0,
    delivered: ['a.txt', 'b.txt'],
  },
  'failure/absolute path C xt.zip': { says: 'delivers "C:/xt" under a safe name', exit: 0, delivered: ['C:/xt', 'b.txt'] },
  'failure/absolute path atxt.zip': { says: 'delivers "/atxt" under a safe name', exit: 0, delivered: ['/atxt', 'b.txt'] },
  'failure/compressed uncompressed size mismatch for stored file 2147483647 5.zip': {
    says: 'fails a.txt as unreadable (its data runs past the end) and delivers b.txt',
    exit: 1,
    delivered: ['b.txt'],
    failed: { 'a.txt': { reason: 'unreadable', detail: /runs past the end of the archive/ } },
  },
  'failure/extra field length exceeds extra field buffer size.zip': {
    says: 'delivers both entries: only an unused extra field (uid/gid) of b.txt overruns by one byte',
    exit: 0,
    delivered: ['a.txt', 'b.txt'],
  },
  'failure/file data overflows file bounds 63 2147483647 308.zip': {
    says: 'fails a.txt as unreadable (its data runs past the end) and delivers b.txt',
    exit: 1,
    delivered: ['b.txt'],
    failed: { 'a.txt': { reason: 'unreadable', detail: /runs past the end of the archive/ } },
  },
  'failure/invalid central directory file header signature 0x1014b50.zip': {
    says: 'exits 3: a central directory record without its signature makes the directory unreadable',
    exit: 3,
    failed: unreadable(/invalid central directory record signature 0x1014b50/),
  },
  'failure/invalid characters in fileName a txt.zip': { says: 'delivers "a\\txt" under a safe name', exit: 0, delivered: ['a\\txt', 'b.txt'] },
  'failure/invalid code lengths set.zip': {
    says: 'fails index.js as corrupt: its deflate data cannot be inflated',
    exit: 1,
    failed: { 'index.js': { reason: 'corrupt', detail: /invalid code lengths set/ } },
  },
  'failure/invalid local file header signature 0x3034b50.zip': {
    // The README's table would call an unusable local header `unreadable`; unspool says `corrupt`.
    says: 'fails b.txt, whose local header is not one, and delivers a.txt',
    exit: 1,
    delivered: ['a.txt'],
    failed: { 'b.txt': { reason: /^(corrupt|unreadable)$/, detail: /invalid local file header signature/ } },
  },
  'failure/invalid relative path xt.zip': { says: 'delivers "../xt" under a safe name', exit: 0, delivered: ['../xt', 'b.txt'] },
  'failure/invalid zip64 end of central directory record signature.zip': {
    says: 'exits 3: the zip64 end record is broken, so nothing can be read',
    exit: 3,
    failed: unreadable(/^not a zip, 7z, RAR or tar archive \(a tar may be gzip, xz, bzip2 or zstd compressed\)$/),
  },
  'failure/multi-disk zip files are not supported found disk number 1.zip': {
    says: 'exits 3: a multi-disk zip cannot be read as a whole',
    exit: 3,
    failed: unreadable(/multi-disk/),
  },
  'failure/not enough bytes in the stream expected 2048576 got only 1000000.zip': {
    says: 'fails zeros.bin as size-mismatch: it inflates to less than it declares',
    exit: 1,
    failed: { 'zeros.bin': { reason: 'size-mismatch', detail: /^1000000 bytes, but its header declares 2048576$/ } },
  },
  'failure/strong encryption is not supported.zip': {
    says: 'skips a.txt as encrypted-aes: its central record sets the strong-encryption flag (bit 6)',
    exit: 0,
    skipped: { 'a.txt': 'encrypted-aes' },
  },
  'failure/too many bytes in the stream expected 82496 got at least 98304.zip': {
    says: 'fails zeros.bin as size-mismatch: it inflates to more than it declares',
    exit: 1,
    failed: { 'zeros.bin': { reason: 'size-mismatch', detail: /more than the 82496 bytes its header declares/ } },
  },
  'failure/too many length or distance symbols.zip': {
    says: 'fails index.js as corrupt: its deflate data cannot be inflated',
    exit: 1,
    failed: { 'index.js': { reason: 'corrupt', detail: /too many length or distance symbols/ } },
  },
  'failure/unsupported compression method 1.zip': {
    says: 'skips b.txt as unsupported-method: method 1 (Shrink) is not supported; delivers a.txt',
    exit: 0,
    delivered: ['a.txt'],
    skipped: { 'b.txt': 'unsupported-method' },
  },
  'failure/unexpected EOF.zip': {
    says: 'fails empty.txt as unreadable: its sizes say zip64 but it has no zip64 extra field',
    exit: 1,
    failed: { 'empty.txt': { reason: 'unreadable', detail: /zip64 extra field/ } },
  },
  'failure/zip64 extended information extra field does not include compressed size.zip': {
    says: 'fails empty.txt as unreadable: its zip64 extra field is too short for the compressed size',
    exit: 1,
    failed: { 'empty.txt': { reason: 'unreadable', detail: /zip64 extra field/ } },
  },
  'failure/zip64 extended information extra field does not include relative header offset.zip': {
    says: 'fails empty.txt as unreadable: its zip64 extra field is too short for the header offset',
    exit: 1,
    failed: { 'empty.txt': { reason: 'unreadable', detail: /zip64 extra field/ } },
  },
  'failure/zip64 extended information extra field does not include uncompressed size.zip': {
    says: 'fails empty.txt as unreadable: its zip64 extra field is too short for the uncompressed size',
    exit: 1,
    failed: { 'empty.txt': { reason: 'unreadable', detail: /zip64 extra field/ } },
  },
  'wrong-entry-sizes/wrong-entry-sizes.zip': {
    says: 'fails both lying entries as size-mismatch and delivers nothing',
    exit: 1,
    failed: {
      'a.txt': { reason: 'size-mismatch', detail: /^39 bytes, but its header declares 48$/ },
      'b.txt': { reason: 'size-mismatch', detail: /^more than the 16 bytes its header declares$/ },
    },
  },
};

/**
 * Archives whose expected outcome unspool does not reach today, and why: their outcome test is
 * expected to fail, and turns red once the bug is fixed, to have its line removed here.
 */
const knownBugs: Readonly<Record<string, string>> = {};

/** Files that only mark a folder in `success/NAME/`; they are not expected. */
const markers = new Set(['.git_please_make_this_directory', '.dont_expect_an_empty_dir_entry_for_this_dir']);

/**
 * Entry names that a `success/NAME/` folder spells differently from the archive: the corpus keeps
 * ASCII names, and a backslash, which some Windows tools wrote as a separator, as a folder.
 */
const spelledInArchive: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'success/sloppy-filenames.zip': { 'a/txt': 'a\\txt' },
  'success/unicode.zip': {
    'Turmion Katilot/Hoitovirhe/Rautaketju.mp3': 'Turmion Kätilöt/Hoitovirhe/Rautaketju.mp3',
    'Turmion Katilot/Pirun nyrkki/Mista veri pakenee.mp3': 'Turmion Kätilöt/Pirun nyrkki/Mistä veri pakenee.mp3',
  },
  'success/unicode-path-extra-field.zip': { 'qi ge fangjian.txt': '七个房间.txt' },
};

/** A file that an archive of `success/` must deliver (or, if empty, skip as `empty`). */
interface ExpectedFile {
  readonly entry: string;
  readonly size: number;
  readonly sha256: string;
}

/** The files of `success/NAME/` for `success/NAME.zip`, under the archive's entry names. */
async function expectedFiles(archive: string): Promise<ExpectedFile[]> {
  const folder = join(yauzl, archive.replace(/\.zip$/, ''));
  if (!(await stat(folder)).isDirectory()) throw new Error(`${folder} is not a folder`);
  const paths = (await filesUnder(folder)).filter((path) => !markers.has(basename(path)));
  return Promise.all(
    paths.map(async (path) => {
      const bytes = await readFile(join(folder, path));
      const name = path.split(sep).join('/');
      return { entry: spelledInArchive[archive]?.[name] ?? name, size: bytes.length, sha256: sha256(bytes) };
    }),
  );
}

/**
 * The files of `success/NAME/` for a `traditional-encryption*` archive, decrypted: the corpus keeps
 * them as the archive stores them, encryption header first (yauzl does not decrypt). They are
 * decrypted with the specs' own cipher, and inflated when the archive's name says `compression`.
 */
async function decryptedFiles(archive: string, password: string): Promise<{ entry: string; sha256: string }[]> {
  const compressed = archive.includes('compression');
  return Promise.all(
    (await expectedFiles(archive)).map(async ({ entry }) => {
      const stored = zipCryptoDecrypt(await readFile(join(yauzl, archive.replace(/\.zip$/, ''), entry)), password);
      return { entry, sha256: sha256(compressed ? inflateRawSync(stored) : stored) };
    }),
  ).then((files) => files.sort(byEntry));
}

/** The sizes and CRC-32 that a zip header declares for an entry. */
interface Claim {
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
}

function inflated(raw: Buffer, method: number, size: number): Buffer | undefined {
  if (method === 0) return raw;
  if (method !== 8) return undefined;
  try {
    return inflateRawSync(raw, { maxOutputLength: Math.min(size + 1, bufferConstants.MAX_LENGTH) });
  } catch {
    return undefined;
  }
}

/**
 * The SHA-256 of every non-empty entry of a zip whose bytes check out against a CRC-32 and size that
 * the archive declares for it, in its local header or in a central directory record pointing at it:
 * the only bytes that a correct reader may deliver from a broken archive. Local headers are found by
 * scanning, as a streaming reader would. (Zip64 sizes are not read, so a zip64 entry would count
 * as unverified.)
 */
function verifiableDigests(zip: Buffer): Set<string> {
  const central = new Map<number, Claim[]>();
  for (let at = zip.indexOf('PK\x01\x02', 0, 'latin1'); at >= 0 && at + 46 <= zip.length; at = zip.indexOf('PK\x01\x02', at + 4, 'latin1')) {
    const offset = zip.readUInt32LE(at + 42);
    const claim = { crc32: zip.readUInt32LE(at + 16), compressedSize: zip.readUInt32LE(at + 20), size: zip.readUInt32LE(at + 24) };
    central.set(offset, [...(central.get(offset) ?? []), claim]);
  }
  const digests = new Set<string>();
  for (let at = zip.indexOf('PK\x03\x04', 0, 'latin1'); at >= 0 && at + 30 <= zip.length; at = zip.indexOf('PK\x03\x04', at + 4, 'latin1')) {
    const flags = zip.readUInt16LE(at + 6);
    const method = zip.readUInt16LE(at + 8);
    const dataStart = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
    const local = { crc32: zip.readUInt32LE(at + 14), compressedSize: zip.readUInt32LE(at + 18), size: zip.readUInt32LE(at + 22) };
    for (const claim of [local, ...(central.get(at) ?? [])]) {
      const raw = zip.subarray(dataStart, dataStart + claim.compressedSize);
      if (flags & 1 || claim.size === 0 || raw.length !== claim.compressedSize) continue;
      const body = inflated(raw, method, claim.size);
      if (body?.length === claim.size && crc32(body) === claim.crc32) digests.add(sha256(body));
    }
  }
  return digests;
}

/** Everything a test looks at after one run of the CLI, gathered before its workspace is removed. */
interface CorpusRun {
  /** The archive as the CLI was given it: a copy in the workspace. */
  readonly archive: string;
  readonly result: CliResult;
  readonly albums: DeliveredAlbum[];
  /** Every file in the sink, relative to it. */
  readonly sinkFiles: string[];
  /** What is left in `<state>/tmp` and in the CLI's `$TMPDIR`. */
  readonly tempFiles: string[];
  /**
   * What the workspace holds beside the archive, `out`, `state` and `os-tmp` (the CLI's `$TMPDIR`),
   * and any delivered file whose bytes are also where its entry name points from the working folder.
   */
  readonly strayFiles: string[];
}

/** Runs at most `count` tasks at once: each CLI run is a process, and the machine has two cores. */
function slots(count: number) {
  let free = count;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((resolveTurn) => waiting.push(resolveTurn));
    try {
      return await task();
    } finally {
      // The slot passes straight to the next task in line, so none can jump the queue.
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

const cliSlot = slots(4);

async function sendThroughCli(source: string, workspace: Workspace, more: readonly string[]): Promise<CorpusRun> {
  // A copy beside `out` and `state`, so that anything written next to the archive shows up as stray.
  const archive = join(workspace.root, basename(source));
  await copyFile(source, archive);
  const osTmp = join(workspace.root, 'os-tmp');
  await mkdir(osTmp);
  // The default state folders are pointed into the workspace too: if `--state` were ignored, they would show up as stray.
  const env = { TMPDIR: osTmp, TMP: osTmp, TEMP: osTmp, UNSPOOL_STATE: join(workspace.root, 'default-state'), XDG_STATE_HOME: join(workspace.root, 'xdg-state') };
  const result = await runCli(sendArgs(archive, workspace.out, workspace.state, ...more), { env });
  const albums = await readAlbums(workspace.out);
  const expectedInRoot = new Set([basename(archive), 'os-tmp', 'out', 'state']);
  return {
    archive,
    result,
    albums,
    sinkFiles: await filesUnder(workspace.out),
    tempFiles: [...(await filesUnder(join(workspace.state, 'tmp'))), ...(await filesUnder(osTmp)).map((file) => join('$TMPDIR', file))],
    strayFiles: [
      ...(await readdir(workspace.root)).filter((name) => !expectedInRoot.has(name)).sort(),
      ...(await escapedEntries(albums)).map((entry) => resolve(entry)),
    ],
  };
}

/**
 * Delivered entries whose bytes are also where the entry's name points from the working folder
 * (`../xt`, `/atxt`): such an entry was written outside the sink as well.
 */
async function escapedEntries(albums: readonly DeliveredAlbum[]): Promise<string[]> {
  const escaped: string[] = [];
  for (const file of deliveredFiles(albums)) {
    const bytes = await readFile(resolve(file.entry)).catch(() => undefined);
    if (bytes && sha256(bytes) === file.sha256) escaped.push(file.entry);
  }
  return escaped;
}

/**
 * Sends one corpus archive through the CLI before the suite's tests, in a workspace of its own that
 * is removed after them.
 *
 * @param more Further options of `unspool send`.
 * @return The run, for the tests to read.
 */
function runBeforeAll(archive: string, ...more: string[]): () => CorpusRun {
  let workspace: Workspace | undefined;
  let run: CorpusRun | undefined;
  // The hook may wait for a slot while other archives run; a hung CLI is killed by runCli after 30 s.
  beforeAll(async () => {
    run = await cliSlot(async () => {
      workspace = await createWorkspace();
      return sendThroughCli(join(yauzl, archive), workspace, more);
    });
  }, 300_000);
  afterAll(() => removeWorkspace(workspace));
  return () => {
    if (!run) throw new Error(`${archive} was not run`);
    return run;
  };
}

const isWholeArchive = (item: SummaryItem) => item.entry === wholeArchive;

/** The exit code that the README promises for what the summary reports. */
function exitCodeFor(failed: readonly SummaryItem[]): number {
  if (failed.some(isWholeArchive)) return 3;
  return failed.length > 0 ? 1 : 0;
}

/** Telegram's album groups: photos and videos mix, audio and documents keep to themselves. */
const groupOf = (type: string) => (type === 'photo' || type === 'video' ? 'visual' : type);

/** What breaks the folder sink's contract in a run's albums, in words; `[]` if nothing does. */
function albumProblems({ archive, albums, sinkFiles }: CorpusRun): string[] {
  const problems: string[] = [];
  const listed = new Set<string>();
  for (const album of albums) {
    listed.add(join(album.folder, 'album.json'));
    if (album.archive !== archive) problems.push(`${album.folder} names the archive ${album.archive}`);
    if (album.files.length < 1 || album.files.length > 10) problems.push(`${album.folder} holds ${album.files.length} files`);
    const groups = new Set(album.files.map((file) => groupOf(file.type)));
    if (groups.size > 1) problems.push(`${album.folder} mixes ${[...groups].sort().join(' and ')}`);
    for (const { file, type } of album.files) {
      listed.add(join(album.folder, file));
      if (!['photo', 'video', 'audio', 'document'].includes(type)) problems.push(`${album.folder}/${file} is of type ${type}`);
      if (basename(file) !== file || ['', '.', '..', 'album.json'].includes(file)) problems.push(`${album.folder} lists ${JSON.stringify(file)}, not a file name`);
    }
  }
  // A hidden file at the sink's top level may be the sink's own; anything else unlisted is left over.
  const leftover = sinkFiles.filter((file) => !listed.has(file) && !(!file.includes(sep) && file.startsWith('.')));
  return [...problems, ...leftover.map((file) => `${file} is in the sink but in no album.json`)];
}

/** Orders delivered or expected files by entry name, so that lists compare whatever the album order. */
function byEntry(a: { entry: string }, b: { entry: string }): number {
  return a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0;
}

describe('the conformance corpus', () => {
  it('is there, with archives that must succeed and archives that must fail', () => {
    expect(successes.length, `no success/*.zip in ${yauzl}`).toBeGreaterThan(0);
    expect(failures.length, `no failure/*.zip in ${yauzl}`).toBeGreaterThan(0);
    expect(failures).toContain('wrong-entry-sizes/wrong-entry-sizes.zip');
  });

  it('has an expected outcome for every archive that must fail', () => {
    expect(failures.filter((archive) => !outcomes[archive])).toEqual([]);
  });

  it('has every archive that the tables of expected outcomes name', () => {
    const listed = new Set([...successes, ...failures]);
    const named = [...Object.keys(outcomes), ...Object.keys(knownBugs), ...Object.keys(spelledInArchive)];
    expect(named.filter((archive) => !listed.has(archive))).toEqual([]);
  });
});

describe.concurrent('unspool send on the conformance corpus', () => {
  describe.each([...successes, ...failures])('%s', (archive) => {
    const run = runBeforeAll(archive);

    it('prints the JSON summary as the last stdout line, accounting for every entry', () => {
      const { summary } = run().result;
      expect(summary).toMatchObject({ source: run().archive, delivered: expect.any(Number), albums: expect.any(Number), skipped: expect.any(Array), failed: expect.any(Array) });
      expect(summary).toHaveProperty('entries');
      const { entries, delivered, directories, skipped, failed } = summary!;
      if (entries !== null && !failed.some(isWholeArchive)) expect(delivered + directories + skipped.length + failed.length).toBe(entries);
    });

    it('exits 0, 1 or 3 as its summary calls for', () => {
      const { code, summary } = run().result;
      expect(code).toBe(exitCodeFor(summary?.failed ?? []));
    });

    it('gives every skipped or failed entry a reason, and reports each failure on stderr naming the archive and the entry', () => {
      const { archive, result } = run();
      for (const item of [...result.summary!.skipped, ...result.summary!.failed]) {
        expect(item, item.entry).toMatchObject({ reason: expect.stringMatching(/^[a-z-]+$/), detail: expect.stringMatching(/\S/) });
      }
      const line = (item: SummaryItem) => `unspool: ${archive}: ${isWholeArchive(item) ? '' : `${item.entry}: `}${item.detail}`;
      const stderrLines = result.stderr.split('\n').filter((text) => text !== '');
      expect(stderrLines.sort()).toEqual(result.summary!.failed.map(line).sort());
    });

    it('delivers albums that keep the rules, each file listed in its album.json and counted in the summary', () => {
      const { albums, result } = run();
      expect(albumProblems(run())).toEqual([]);
      const files = deliveredFiles(albums);
      expect(result.summary).toMatchObject({ delivered: files.length, deliveredBytes: files.reduce((sum, file) => sum + file.size, 0), albums: albums.length });
    });

    it('writes nothing beside the state folder and the sink, and leaves no temp files', () => {
      expect(run().strayFiles).toEqual([]);
      expect(run().tempFiles).toEqual([]);
    });

    const knownBug = knownBugs[archive];
    const itOutcome = knownBug ? it.fails : it;
    const unlessFixed = knownBug ? ` [fails today: ${knownBug}]` : '';

    if (archive.startsWith('success/traditional-encryption')) {
      itOutcome(`delivers nothing and skips every entry as encrypted${unlessFixed}`, async () => {
        const { albums, result } = run();
        const expected = await expectedFiles(archive);
        expect(result.code).toBe(0);
        expect(deliveredFiles(albums)).toEqual([]);
        expect(result.summary!.skipped.map(({ entry, reason }) => ({ entry, reason }))).toEqual(expected.map(({ entry }) => ({ entry, reason: 'encrypted' })));
      });

      const decrypted = runBeforeAll(archive, '--password', 'a');
      it('delivers every file byte for byte with --password a, the password it was written with', async () => {
        const { albums, result } = decrypted();
        expect(result.code).toBe(0);
        expect(result.summary).toMatchObject({ skipped: [], failed: [] });
        expect(deliveredFiles(albums).map(({ entry, sha256 }) => ({ entry, sha256 })).sort(byEntry)).toEqual(await decryptedFiles(archive, 'a'));
      });
    } else if (archive.startsWith('success/')) {
      it(`delivers every non-empty file of ${archive.replace(/\.zip$/, '/')} byte for byte, and nothing else`, async () => {
        const expected = (await expectedFiles(archive)).filter((file) => file.size > 0);
        const delivered = deliveredFiles(run().albums).map(({ entry, sha256 }) => ({ entry, sha256 }));
        expect(delivered.sort(byEntry)).toEqual(expected.map(({ entry, sha256 }) => ({ entry, sha256 })).sort(byEntry));
      });

      itOutcome(`exits 0, skipping its zero-byte files as empty and nothing else${unlessFixed}`, async () => {
        const { result } = run();
        const empty = (await expectedFiles(archive)).filter((file) => file.size === 0).map((file) => file.entry);
        expect(result.code).toBe(0);
        expect(result.summary!.failed).toEqual([]);
        expect(result.summary!.skipped.filter((item) => item.reason !== 'empty')).toEqual([]);
        expect(result.summary!.skipped.map((item) => item.entry)).toEqual(expect.arrayContaining(empty));
      });
    } else {
      it('delivers no file whose bytes fail the CRC-32 and size that the archive declares', async () => {
        const allowed = verifiableDigests(await readFile(join(yauzl, archive)));
        const unverified = deliveredFiles(run().albums).filter((file) => !allowed.has(file.sha256));
        expect(unverified.map(({ entry }) => entry)).toEqual([]);
      });

      const outcome = outcomes[archive];
      if (outcome) {
        itOutcome(`${outcome.says}${unlessFixed}`, () => {
          const { albums, result } = run();
          expect(result.code).toBe(outcome.exit);
          expect(deliveredFiles(albums).map((file) => file.entry)).toEqual(outcome.delivered ?? []);
          expect(result.summary!.skipped.map(({ entry, reason }) => ({ entry, reason }))).toEqual(
            Object.entries(outcome.skipped ?? {}).map(([entry, reason]) => ({ entry, reason })),
          );
          expect(result.summary!.failed).toEqual(
            Object.entries(outcome.failed ?? {}).map(([entry, { reason, detail }]) => ({
              entry,
              reason: typeof reason === 'string' ? reason : expect.stringMatching(reason),
              detail: expect.stringMatching(detail),
            })),
          );
        });
      }
    }
  });
});
