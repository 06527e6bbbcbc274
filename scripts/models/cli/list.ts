/** `list`: every manifest model, whether it is installed, its size, licence and task types. */
import type { CliContext } from './context.js';
import { installCommandFor } from '../../../src/models/registry.js';

function gb(bytes: number): string {
  if (bytes <= 0) return '?';
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export function listModels(ctx: CliContext): void {
  const rows = ctx.manifest.models.map((m) => {
    const installed = ctx.registry.resolveId(m.id);
    const state = installed ? (ctx.registry.isTestModel(m.id) ? 'test model' : 'installed') : 'missing';
    const size = m.files.some((f) => f.size <= 0 && f.path.endsWith('.onnx')) ? `${gb(m.files.reduce((s, f) => s + f.size, 0))}+` : gb(m.files.reduce((s, f) => s + f.size, 0));
    const licence = `${m.license.name}${m.license.nonCommercial ? ' [non-commercial]' : ''}`;
    return [m.id, state, size.replace('?+', '?'), m.taskTypes.join(','), licence, installed ? '' : installCommandFor(m)];
  });
  const header = ['MODEL', 'STATE', 'SIZE', 'TASK TYPES', 'LICENCE', 'INSTALL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows]) ctx.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
  const avail = ctx.registry.availability();
  ctx.out('');
  for (const [task, a] of Object.entries(avail)) ctx.out(`${task}: ${a.available ? `ready (${ctx.registry.resolve(task as keyof typeof avail)?.id})` : `unavailable - ${a.installCommand}`}`);
}
