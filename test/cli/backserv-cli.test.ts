/** `npx backserv`: --help lists every command; errors are one line on stderr with a non-zero exit. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'backserv.js'), ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, BACKSERV_API_KEYS: '' } });
const COMMANDS = ['start', 'serve', 'worker', 'openapi', 'version', 'help'];

describe('backserv CLI', () => {
  it('--help (and no command) lists every command and exits 0', () => {
    for (const args of [['--help'], ['-h'], ['help'], []]) {
      const r = run(...args);
      expect(r.status).toBe(0);
      for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\s`, 'm'));
      expect(r.stderr).toBe('');
    }
  });

  it('"<command> --help" explains the command without running it', () => {
    for (const c of COMMANDS) {
      const r = run(c, '--help');
      expect(r.status, c).toBe(0);
      expect(r.stdout.startsWith(`backserv ${c}`)).toBe(true);
    }
  });

  it('an unknown command is one clear line on stderr and exit 2', () => {
    for (const args of [['frobnicate'], ['help', 'frobnicate']]) {
      const r = run(...args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^backserv: unknown command "frobnicate"; see "backserv --help"/);
    }
  });

  it('version prints the package version', () => {
    const r = run('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.skipIf(!existsSync(join(ROOT, 'dist', 'api', 'openapi.js')))('openapi prints the OpenAPI document (needs the dist/ build)', () => {
    const r = run('openapi');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/submit_task');
  });
});
