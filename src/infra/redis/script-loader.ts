/**
 * Loads the Redis Lua scripts from their `.lua` files, once, when a module that uses them is
 * imported. Each script is one file in a folder; a line `--@include "name"` is replaced by the
 * file includes/name.lua of that folder (itself expanded the same way, each fragment at most
 * once per script), so shared Lua functions live in one place. Anything wrong with the files
 * (a missing script or include, a cycle, a stray file) throws at start-up, not at first use.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LuaScript } from './script.js';

const INCLUDE = /^--@include\s+"([^"]+)"\s*$/;

/**
 * The folder `rel` next to the calling module. tsc does not copy .lua files, so a module running
 * from dist/ reads the same folder under src/ (as the playground's src/web is found).
 */
export function scriptDir(moduleUrl: string, rel: string): string {
  const here = dirname(fileURLToPath(moduleUrl));
  const parts = here.split(sep);
  const dist = parts.lastIndexOf('dist');
  const candidates = [join(here, rel)];
  if (dist >= 0) candidates.push(join([...parts.slice(0, dist), 'src', ...parts.slice(dist + 1)].join(sep), rel));
  const found = candidates.find((d) => existsSync(d));
  if (!found) throw new Error(`Lua scripts not found: looked in ${candidates.join(' and ')}`);
  return found;
}

/** The source of `dir/<name>.lua` with every include expanded. */
export function expandScript(dir: string, name: string): string {
  const done = new Set<string>();
  // `chain` is the script, then the includes being expanded (for messages and cycle checks).
  const expand = (file: string, chain: string[]): string => {
    if (!existsSync(file)) throw new Error(`Lua script ${chain.join(' -> ')}: ${file} does not exist`);
    return readFileSync(file, 'utf8').split('\n').map((line) => {
      const inc = INCLUDE.exec(line)?.[1];
      if (inc === undefined) return line;
      if (chain.slice(1).includes(inc)) throw new Error(`Lua script ${chain.join(' -> ')}: include cycle through "${inc}"`);
      if (done.has(inc)) return `-- (included above: ${inc})`;
      done.add(inc);
      return expand(join(dir, 'includes', `${inc}.lua`), [...chain, inc]);
    }).join('\n');
  };
  return expand(join(dir, `${name}.lua`), [name]);
}

/**
 * One LuaScript per entry of `files` (key → file name without .lua). Every .lua file directly in
 * `dir` must be listed: a script nobody loads is a mistake, found here rather than in review.
 */
export function loadScripts<K extends string>(dir: string, files: Readonly<Record<K, string>>): Record<K, LuaScript> {
  const listed = new Set(Object.values<string>(files));
  const stray = readdirSync(dir).filter((f) => f.endsWith('.lua') && !listed.has(f.slice(0, -4)));
  if (stray.length) throw new Error(`Lua scripts in ${dir} that nothing loads: ${stray.join(', ')}`);
  const out = {} as Record<K, LuaScript>;
  for (const key of Object.keys(files) as K[]) out[key] = new LuaScript(expandScript(dir, files[key]));
  return out;
}
