import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { groupOf } from '../../operators/albums.js';
import type { MediaType } from '../../src/entry.js';
import type { ArchivePaths } from '../../src/state/stateDir.js';
import { readAlbums } from '../support/workspace.js';
import type { ArchivedFile } from './mixedArchive.js';

/**
 * What a folder sink holds compared with the archive, as lists that are all empty when delivery is
 * exactly once: each list names what is wrong, so a failed assertion shows it.
 */
export interface DeliveryReport {
  /** Album folders, in order. */
  readonly folders: number;
  /** Entries delivered so far (each counted once). */
  readonly delivered: number;
  /** Entry names found in more than one place. */
  readonly duplicated: readonly string[];
  /** Entry names not in the archive. */
  readonly unknown: readonly string[];
  /** Entry names whose delivered bytes differ from the archived ones. */
  readonly wrongBytes: readonly string[];
  /** Album ids found in more than one folder. */
  readonly idsInTwoFolders: readonly string[];
  /** Album folders holding other files than `album.json` and the files it lists. */
  readonly strayFiles: readonly string[];
  /** Albums over the size limit, or mixing audio, documents and visual media. */
  readonly badAlbums: readonly string[];
  /** Leftover `.partial-` folders (allowed after a crash, never after a finished run). */
  readonly partial: readonly string[];
  /** Archive entries not delivered (yet). */
  readonly missing: readonly string[];
}

/**
 * Reads every album of a folder sink (failing if an album lists a file that is missing) and
 * compares it with the archive.
 *
 * @param out The folder sink's root.
 * @param files What the archive holds.
 * @param albumSize The most files an album may have.
 */
export async function deliveryReport(out: string, files: readonly ArchivedFile[], albumSize: number): Promise<DeliveryReport> {
  const expected = new Map(files.map((file) => [file.name, file.sha256]));
  const albums = await readAlbums(out);
  const seen = new Map<string, number>();
  const ids = new Map<string, number>();
  const wrongBytes: string[] = [];
  const strayFiles: string[] = [];
  const badAlbums: string[] = [];
  for (const album of albums) {
    ids.set(album.id, (ids.get(album.id) ?? 0) + 1);
    for (const file of album.files) {
      seen.set(file.entry, (seen.get(file.entry) ?? 0) + 1);
      if (expected.has(file.entry) && expected.get(file.entry) !== file.sha256) wrongBytes.push(file.entry);
    }
    const listed = ['album.json', ...album.files.map((file) => file.file)].sort();
    const present = (await readdir(join(out, album.folder))).sort();
    if (present.join('/') !== listed.join('/')) strayFiles.push(`${album.folder}: ${present.join(', ')}`);
    const groups = new Set(album.files.map((file) => groupOf(file.type as MediaType)));
    if (album.files.length === 0 || album.files.length > albumSize || groups.size !== 1) {
      badAlbums.push(`${album.folder}: ${album.files.map((file) => `${file.entry} (${file.type})`).join(', ')}`);
    }
  }
  const names = await readdir(out).catch(() => [] as string[]);
  return {
    folders: albums.length,
    delivered: seen.size,
    duplicated: [...seen].filter(([, count]) => count > 1).map(([name]) => name),
    unknown: [...seen.keys()].filter((name) => !expected.has(name)),
    wrongBytes,
    idsInTwoFolders: [...ids].filter(([, count]) => count > 1).map(([id]) => id),
    strayFiles,
    badAlbums,
    partial: names.filter((name) => name.startsWith('.partial-')),
    missing: files.map((file) => file.name).filter((name) => !seen.has(name)),
  };
}

/** The parts of a {@link DeliveryReport} that must be empty at every moment, even right after a SIGKILL. */
export function neverWrong(report: DeliveryReport) {
  const { duplicated, unknown, wrongBytes, idsInTwoFolders, strayFiles, badAlbums } = report;
  return { duplicated, unknown, wrongBytes, idsInTwoFolders, strayFiles, badAlbums };
}

/**
 * The {@link DeliveryReport} of a finished delivery of `count` files: each in place once, byte for
 * byte, in whole albums, and nothing else (whatever number of album folders `report` counts).
 */
export function deliveredOnce(report: DeliveryReport, count: number): DeliveryReport {
  return { folders: report.folders, delivered: count, duplicated: [], unknown: [], wrongBytes: [], idsInTwoFolders: [], strayFiles: [], badAlbums: [], partial: [], missing: [] };
}

/** The lines of an archive's journal of delivered albums, parsed. */
export async function journalLines(paths: ArchivePaths): Promise<{ album: string; entries: number[]; receipt: string[] }[]> {
  const text = await readFile(paths.manifest.replace(/\.json$/, '.albums.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { album: string; entries: number[]; receipt: string[] });
}

