/** `verify`: checksums and ONNX signatures of every installed model. */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { signatureProblems } from '../../models/signature-check.js';
import { chooseDevice, SessionCache, sessionSignature } from '../../runtime/index.js';
import { PRECISION_MARKER } from '../../models/registry.js';
import { CliError, type CliContext } from './context.js';

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function verifyModels(ctx: CliContext): Promise<void> {
  const cache = new SessionCache({ device: chooseDevice('cpu'), intraOpThreads: 0 });
  let failures = 0;
  let checked = 0;
  try {
    for (const entry of ctx.manifest.models) {
      const resolved = ctx.registry.resolveId(entry.id);
      if (!resolved) continue;
      checked += 1;
      const problems: string[] = [];
      const notes: string[] = [];
      const isTest = ctx.registry.isTestModel(entry.id);
      const converted = existsSync(join(resolved.dir, PRECISION_MARKER));
      for (const f of entry.files) {
        if (isTest || !f.sha256) continue;
        if (converted && f.path.endsWith('.onnx')) {
          notes.push(`${f.path} converted to another precision: checksum not applicable`);
          continue;
        }
        const got = await sha256(join(resolved.dir, f.path));
        if (got !== f.sha256) problems.push(`${f.path}: sha256 ${got}, expected ${f.sha256}`);
      }
      const unchecked = entry.files.filter((f) => !f.sha256).length;
      if (!isTest && unchecked) notes.push(`${unchecked} file(s) without a checksum in the manifest`);
      for (const [rel, expected] of Object.entries(entry.signature)) {
        try {
          const session = await cache.get(join(resolved.dir, rel));
          for (const p of signatureProblems(expected, sessionSignature(session))) problems.push(`${rel}: ${p}`);
        } catch (err) {
          problems.push(`${rel}: does not load (${(err as Error).message.split('\n')[0]})`);
        }
        cache.clear();
      }
      const tag = isTest ? ' (test model)' : '';
      if (problems.length) {
        failures += 1;
        ctx.out(`FAIL ${entry.id}${tag}: ${problems.join('; ')}`);
      } else ctx.out(`ok   ${entry.id}${tag}${notes.length ? ` (${notes.join('; ')})` : ''}`);
    }
  } finally {
    cache.clear();
  }
  if (checked === 0) ctx.out(`no models installed in ${ctx.modelsDir}`);
  if (failures) throw new CliError(`${failures} model(s) failed verification`);
}
