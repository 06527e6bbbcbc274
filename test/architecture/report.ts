/**
 * Prints the layer picture of a source tree: units, arrows between them, upward arrows and
 * cycles. `npx tsx test/architecture/report.ts [srcDir]` (default: this repository's src/).
 * Units the layer table does not know count as the top layer when they import, the bottom when
 * imported, so an older tree with other folder names can still be measured.
 */
import { join } from 'node:path';
import { cycles, importEdges, unitOf } from './import-graph.js';
import { LAYERS } from './layers.js';

const dir = process.argv[2] ?? join(import.meta.dirname, '..', '..', 'src');
const rank = new Map(LAYERS.flatMap((units, i) => units.map((u) => [u, i] as const)));
const edges = importEdges(dir);
const cross = edges.filter((e) => unitOf(e.from) !== unitOf(e.to));
const arrows = new Set(cross.map((e) => `${unitOf(e.from)} -> ${unitOf(e.to)}`));
const upward = cross.filter((e) => (rank.get(unitOf(e.to)) ?? -1) > (rank.get(unitOf(e.from)) ?? Infinity));
const unitCycles = cycles(edges.map((e) => ({ from: unitOf(e.from), to: unitOf(e.to) })));

console.log(`units: ${new Set(edges.flatMap((e) => [unitOf(e.from), unitOf(e.to)])).size}`);
console.log(`arrows between units: ${arrows.size}`);
console.log(`upward arrows: ${new Set(upward.map((e) => `${unitOf(e.from)} -> ${unitOf(e.to)}`)).size} (${upward.length} imports)`);
for (const e of upward) console.log(`  ${e.from} -> ${e.to}`);
console.log(`unit cycles: ${unitCycles.length}${unitCycles.map((c) => `\n  [${c.join(', ')}]`).join('')}`);
console.log(`file cycles: ${cycles(edges).length}`);
console.log('\nlayers, top first:');
for (const units of [...LAYERS].reverse()) console.log(`  ${units.join('  ')}`);
