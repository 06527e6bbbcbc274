import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepTempResults } from '../../src/results/sweep-temp.js';
import { silentLogger } from '../../src/infra/logging.js';

describe('sweepTempResults', () => {
  it('removes unfinished .*.tmp result files and keeps finished results', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backserv-sweep-'));
    for (const f of ['a.png', 'b.mp4', '.c.mp4.123.tmp', '.d.png.9.tmp', 'e.tmp']) writeFileSync(join(dir, f), 'x');
    sweepTempResults(dir, silentLogger());
    expect(readdirSync(dir).sort()).toEqual(['a.png', 'b.mp4', 'e.tmp']);
  });
});
