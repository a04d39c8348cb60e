import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { archiveReasons, failReasons, reasons, sinkReasons, skipReasons } from '../src/reasons.js';

/**
 * The README's table of reasons ("What is delivered, and what is not"), row by row: the reasons
 * named in the first cell, and the second cell, which says whether they are skipped or failed.
 */
function documentedReasons(): { readonly reason: string; readonly state: string }[] {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('What is delivered, and what is not'));
  if (section === undefined) throw new Error('README.md has no section "What is delivered, and what is not"');
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) => {
    const [names = '', state = ''] = row.split('|').slice(1).map((cell) => cell.trim());
    return [...names.matchAll(/`([^`]+)`/g)].map((match) => ({ reason: match[1]!, state }));
  });
}

const sorted = (names: Iterable<string>) => [...names].sort();

describe('reasons', () => {
  const documented = documentedReasons();

  it('documents in the README table exactly the reasons unspool gives', () => {
    expect(sorted(documented.map((row) => row.reason))).toEqual(sorted(reasons));
  });

  it('documents each reason once', () => {
    const names = documented.map((row) => row.reason);
    expect(names.filter((name, at) => names.indexOf(name) !== at)).toEqual([]);
  });

  it('documents skip reasons as skipped, directories apart, and every other reason as failed', () => {
    const stateOf = new Map(documented.map((row) => [row.reason, row.state]));
    expect(skipReasons.filter((reason) => reason !== 'directory').map((reason) => stateOf.get(reason))).toEqual(
      skipReasons.filter((reason) => reason !== 'directory').map(() => 'skipped'),
    );
    expect(stateOf.get('directory')).toMatch(/^not listed/);
    const failing = [...failReasons, ...sinkReasons, ...archiveReasons];
    expect(failing.map((reason) => stateOf.get(reason))).toEqual(failing.map(() => 'failed'));
  });

  it('keeps the lists apart: no reason is both skipped and failed', () => {
    expect(new Set(reasons).size).toBe(reasons.length);
  });
});
