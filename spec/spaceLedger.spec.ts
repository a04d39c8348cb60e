import { describe, expect, it } from 'vitest';
import { spaceLedger } from '../src/spaceLedger.js';

describe('spaceLedger', () => {
  it('shows each account the promises of the others, not its own', () => {
    const ledger = spaceLedger();
    const first = ledger.open();
    const second = ledger.open();
    first.promise(300);
    second.promise(50);
    expect([first.others, second.others, ledger.promised]).toEqual([50, 300, 350]);
  });

  it('replaces the promise of an account instead of adding to it, while the admitted total only grows', () => {
    const ledger = spaceLedger();
    const account = ledger.open();
    account.promise(300);
    account.promise(0);
    account.promise(20);
    expect([ledger.promised, ledger.admitted]).toEqual([20, 320]);
  });

  it('ends a promise when its account is closed, and ignores the account after that', () => {
    const ledger = spaceLedger();
    const first = ledger.open();
    const second = ledger.open();
    first.promise(300);
    first.close();
    first.close();
    first.promise(500);
    expect([second.others, ledger.promised, ledger.admitted]).toEqual([0, 0, 300]);
  });

  it('refuses a promise that is not a non-negative number, naming the value', () => {
    const account = spaceLedger().open();
    expect(() => account.promise(-1)).toThrow('Expected `bytes` to be a non-negative number, got `-1` (number)');
    expect(() => account.promise(Number.NaN)).toThrow(TypeError);
  });
});
