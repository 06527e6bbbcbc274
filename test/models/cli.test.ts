import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/models/registry.js';
import { runCli } from '../../scripts/models/cli/main.js';

const root = mkdtempSync(join(tmpdir(), 'backserv-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The CLI in-process, with its output captured. */
async function models(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { env: { BACKSERV_MODELS_DIR: root }, out: (l) => out.push(l), err: (l) => err.push(l), tty: false });
  return { code, stdout: out.map((l) => l + '\n').join(''), stderr: err.map((l) => l + '\n').join('') };
}

describe('npm run models', () => {
  it('list on an empty folder: the bundled YuNet is there, the rest says how to install', async () => {
    const r = await models(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^yunet +installed/m);
    expect(r.stdout).toMatch(/^inswapper-128 +missing +554\.3 MB .*\[non-commercial\]/m);
    expect(r.stdout).toContain('image_upscale: unavailable - npm run models -- convert realesrgan-x4fast');
  });

  it('convert realesrgan-x4fast gives a verified, working offline upscaler', async () => {
    const c = await models(['convert', 'realesrgan-x4fast']);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/realesrgan-x4fast: wrote .*model\.onnx \(4\.9 MB\)/);
    const v = await models(['verify']);
    expect(v.code).toBe(0);
    // The manifest pins the converted file's sha256, so this line means the checksum matched.
    expect(v.stdout).toMatch(/^ok {3}realesrgan-x4fast$/m);
    expect(createRegistry(root).resolve('image_upscale')?.id).toBe('realesrgan-x4fast');
  });

  it('make-test, then verify checks the test models; --fp32 on an fp32 model changes nothing', async () => {
    const m = await models(['make-test', '--out', root, 'sd-turbo', 'inswapper-128']);
    expect(m.code).toBe(0);
    const v = await models(['verify']);
    expect(v.stdout).toMatch(/^ok {3}sd-turbo \(test model\)$/m);
    expect(v.stdout).toMatch(/^ok {3}inswapper-128 \(test model\)$/m);
    const f = await models(['convert', 'sd-turbo', '--fp32']);
    expect(f.code).toBe(0);
    expect(f.stdout).toContain('sd-turbo/unet/model.onnx: already fp32');
  });

  it('convert --fp16 keeps the model verified and usable; its checksum is then not applicable', async () => {
    const c = await models(['convert', 'realesrgan-x4fast', '--fp16']);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/realesrgan-x4fast\/model\.onnx: \d+ tensors and \d+ types to fp16/);
    const marker = JSON.parse(readFileSync(join(root, 'realesrgan-x4fast', '.precision.json'), 'utf8')) as unknown;
    expect(marker).toEqual({ precision: 'fp16', converted: ['model.onnx'], removed: [] });
    // Half the bytes: the converted weights were 4.9 MB in fp32.
    expect(statSync(join(root, 'realesrgan-x4fast', 'model.onnx')).size).toBeLessThan(2.6e6);
    const v = await models(['verify']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^ok {3}realesrgan-x4fast \(model\.onnx converted to another precision: checksum not applicable\)$/m);
    const again = await models(['convert', 'realesrgan-x4fast', '--fp16']);
    expect(again.stdout).toContain('realesrgan-x4fast/model.onnx: already fp16');
    // Converting from the bundled weights again restores the fp32 original and drops the marker.
    expect((await models(['convert', 'realesrgan-x4fast'])).code).toBe(0);
    expect(existsSync(join(root, 'realesrgan-x4fast', '.precision.json'))).toBe(false);
    expect((await models(['verify'])).stdout).toMatch(/^ok {3}realesrgan-x4fast$/m);
  });

  it('the npm entry point exits non-zero with one line on stderr', async () => {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/models.ts', 'download', 'nope'], { env: { ...process.env, BACKSERV_MODELS_DIR: root } }).catch(
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect((r as { code: number }).code).toBe(1);
    expect((r as { stderr: string }).stderr).toMatch(/^models: unknown model "nope" \(known: realesrgan-x4fast, .*\)\n$/);
  });

  it('errors are one line on stderr with a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [['download', 'sd-turbo'], /non-commercial\); read https:\/\/\S+ and rerun with --accept-license/],
      [['download', 'nope'], /unknown model "nope"/],
      [['convert', 'sd15'], /not converted from bundled weights/],
      [['convert', 'sd15', '--fp32'], /sd15 is not installed/],
      [['convert', 'sd15', '--fp16', '--fp32'], /choose one of --fp32 and --fp16/],
      [['frobnicate'], /unknown verb "frobnicate"/],
      [['make-test'], /make-test needs --out DIR/],
    ];
    for (const [args, re] of cases) {
      const r = await models(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });
});
