/**
 * The layer rule, enforced: every import under src/ points to the same unit or to a lower layer,
 * and no import cycle exists, between units or between files. The table is the one in the
 * README's layout section; a new top-level folder must be placed in it before it can import
 * anything.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, importEdges, unitOf } from './import-graph.js';
import { LAYERS } from './layers.js';

const rank = new Map(LAYERS.flatMap((units, i) => units.map((u) => [u, i] as const)));
const SRC = join(import.meta.dirname, '..', '..', 'src');
const edges = importEdges(SRC);

describe('architecture', () => {
  it('places every unit of src/ in a layer', () => {
    const units = new Set(edges.flatMap((e) => [unitOf(e.from), unitOf(e.to)]));
    expect([...units].filter((u) => !rank.has(u))).toEqual([]);
  });

  it('has no import that points up a layer', () => {
    const upward = edges
      .filter((e) => (rank.get(unitOf(e.to)) ?? -1) > (rank.get(unitOf(e.from)) ?? Infinity))
      .map((e) => `${e.from} -> ${e.to}`);
    expect(upward).toEqual([]);
  });

  it('has no cycle between units', () => {
    expect(cycles(edges.map((e) => ({ from: unitOf(e.from), to: unitOf(e.to) })))).toEqual([]);
  });

  it('has no cycle between files', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('imports only files that exist', () => {
    // Server code imports .ts sources (by their .js names); the browser modules in web/ import .js files.
    const exists = (e: { from: string; to: string }) => e.to.endsWith('.ts') || e.to.endsWith('.json')
      || (e.from.startsWith('web/') && e.to.startsWith('web/') && e.to.endsWith('.js') && existsSync(join(SRC, e.to)));
    expect(edges.filter((e) => !exists(e)).map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('finds the imports it checks (the reader is not blind)', () => {
    // A regex that silently stopped matching would make every rule above pass vacuously.
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: 'main.ts', to: 'service.ts' });
  });
});
