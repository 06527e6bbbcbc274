/**
 * The Lua script loader: includes are expanded (nested, each once), every .lua file in src/ opens
 * with its header, a broken script folder fails at load time, and the scripts the product loads
 * compile in the real Redis.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { expandScript, loadScripts, scriptDir } from '../../src/infra/redis/script-loader.js';
import { REDIS_URL } from '../helpers/redis.js';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function luaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? luaFiles(join(dir, e.name)) : e.name.endsWith('.lua') ? [join(dir, e.name)] : []);
}

/** A script folder in a temp dir: name → source, "includes/x" for fragments. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-lua-'));
  mkdirSync(join(dir, 'includes'));
  for (const [name, src] of Object.entries(files)) writeFileSync(join(dir, `${name}.lua`), src);
  return dir;
}

describe('Lua script loader', () => {
  it('expands includes in place, nested ones too, each fragment once', () => {
    const dir = folder({
      'includes/base': 'local P = ARGV[1]',
      'includes/mid': '--@include "base"\nlocal function f() return P end',
      'includes/other': '--@include "base"\nlocal function g() return P .. P end',
      main: '-- head\n--@include "mid"\n--@include "other"\nreturn f() .. g()',
    });
    const src = expandScript(dir, 'main');
    expect(src).not.toMatch(/^--@include/m);
    expect(src.match(/local P = ARGV\[1\]/g)).toHaveLength(1);
    expect(src.indexOf('local P')).toBeLessThan(src.indexOf('local function f'));
    expect(src.indexOf('local function f')).toBeLessThan(src.indexOf('local function g'));
    expect(src.endsWith('return f() .. g()')).toBe(true);
  });

  it('fails loudly on a missing include, naming it and the chain that asked for it', () => {
    const dir = folder({ 'includes/mid': '--@include "nowhere"', main: '--@include "mid"\nreturn 1' });
    expect(() => expandScript(dir, 'main')).toThrow(/main -> mid -> nowhere: .*includes\/nowhere\.lua does not exist/);
    expect(() => loadScripts(dir, { MAIN: 'main' })).toThrow(/nowhere\.lua does not exist/);
  });

  it('fails on an include cycle, a missing script and a script nothing loads', () => {
    const dir = folder({ 'includes/a': '--@include "b"', 'includes/b': '--@include "a"', main: '--@include "a"' });
    expect(() => expandScript(dir, 'main')).toThrow(/include cycle through "a"/);
    const ok = folder({ one: 'return 1', two: 'return 2' });
    expect(() => loadScripts(ok, { ONE: 'one', TWO: 'two', THREE: 'three' })).toThrow(/three\.lua does not exist/);
    expect(() => loadScripts(ok, { ONE: 'one' })).toThrow(/nothing loads: two\.lua/);
    expect(Object.keys(loadScripts(ok, { ONE: 'one', TWO: 'two' }))).toEqual(['ONE', 'TWO']);
  });

  it('finds a folder under src/ when the module runs from dist/ (tsc does not copy .lua files)', () => {
    const root = mkdtempSync(join(tmpdir(), 'backserv-lua-root-'));
    mkdirSync(join(root, 'src', 'store', 'redis', 'scripts'), { recursive: true });
    const fromDist = pathToFileURL(join(root, 'dist', 'store', 'redis-store.js')).href;
    expect(scriptDir(fromDist, 'redis/scripts')).toBe(join(root, 'src', 'store', 'redis', 'scripts'));
    expect(() => scriptDir(fromDist, 'missing')).toThrow(/Lua scripts not found/);
  });

  it('every .lua file in src/ opens with a header: scripts name KEYS, ARGV and what they return', () => {
    const files = luaFiles(SRC);
    expect(files.length).toBeGreaterThanOrEqual(20); // the walk is not blind
    const bad: string[] = [];
    for (const file of files) {
      const header = /^--\[\[\n([\s\S]*?)\n\]\]\n/.exec(readFileSync(file, 'utf8'))?.[1] ?? '';
      const isInclude = file.split(sep).includes('includes');
      const ok = isInclude ? header.trim().length > 0 : /KEYS\[1\]/.test(header) && /ARGV\[1\]/.test(header) && /\bReturns\b/.test(header);
      if (!ok) bad.push(relative(SRC, file));
    }
    expect(bad).toEqual([]);
  });
});

describe('the scripts the product loads', () => {
  const redis = new Redis(REDIS_URL);
  afterAll(async () => {
    await redis.quit();
  });

  it('expand without a leftover include and compile in Redis', async () => {
    const dirs = [...new Set(luaFiles(SRC).map((f) => join(f, '..')).filter((d) => !d.endsWith('includes')))];
    expect(dirs.map((d) => relative(SRC, d)).sort()).toEqual(['api/scripts', 'store/redis/scripts', 'webhooks/scripts']);
    for (const dir of dirs) {
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.lua'))) {
        const src = expandScript(dir, file.slice(0, -4));
        expect(src, file).not.toMatch(/^--@include/m);
        // SCRIPT LOAD compiles without running: a syntax error in any fragment fails here.
        expect(await redis.script('LOAD', src), file).toMatch(/^[0-9a-f]{40}$/);
      }
    }
  });
});
