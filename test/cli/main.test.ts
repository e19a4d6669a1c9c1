import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { bufferIo, formatTable, UsageError } from '../../src/cli/io';
import { parseIntegerOption } from '../../src/cli/options';

describe('cli main', () => {
  it('exits 2 with a message for an unknown command', async () => {
    const io = bufferIo();
    const code = await main(['node', 'fortiflex-scaler', 'no-such-command'], io);
    expect(code).toBe(2);
    expect(io.err).toMatch(/^error: /);
  });

  it('exits 0 and prints help for --help', async () => {
    const io = bufferIo();
    const code = await main(['node', 'fortiflex-scaler', '--help'], io);
    expect(code).toBe(0);
    expect(io.out).toMatch(/Usage: fortiflex-scaler/);
  });
});

describe('cli io helpers', () => {
  it('aligns table columns and prints empty cells for missing values', () => {
    const text = formatTable(
      [
        { serialNumber: 'FGVMMLTM26000001', status: 'ACTIVE' },
        { serialNumber: 'FGVM1', status: undefined },
      ],
      ['serialNumber', 'status'],
    );
    expect(text.split('\n')).toEqual([
      'serialNumber      status',
      '----------------  ------',
      'FGVMMLTM26000001  ACTIVE',
      'FGVM1',
      '',
    ]);
  });

  it('rejects non-integers and values below the minimum with a UsageError naming the option', () => {
    expect(parseIntegerOption('--count', '3', { min: 1 })).toBe(3);
    expect(() => parseIntegerOption('--count', 'x')).toThrow(UsageError);
    expect(() => parseIntegerOption('--count', '0', { min: 1 })).toThrow(/--count: "0"/);
  });
});
