/**
 * Writes src/models/convert/quantize/x4fast-int8-calibration.ts: the activation ranges and the
 * Conv input means that the int8 realesrgan-x4fast is quantized with. Run from a checkout after
 * the ncnn files or the graph change: `npx tsx scripts/calibrate-x4fast-int8.ts`.
 *
 * Images: three of the project's licensed fixture photos (test/fixtures/LICENSES), each downscaled
 * whole and as a crop at its own resolution; portrait_astronaut.jpg is held out for the tests.
 * Each tensor's range is the widest [0.01 %, 99.99 %] quantile range over the images.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { decodeModel, encodeModel } from '../src/models/convert/onnx-read.js';
import { quantileRange } from '../src/models/convert/quantize/activation-range.js';
import { quantizedTensors } from '../src/models/convert/quantize/qdq-graph.js';
import { x4fastInt8Nodes, x4fastInt8Source } from '../src/models/convert/quantize/x4fast-int8.js';

const ROOT = join(import.meta.dirname, '..');
const QUANTILE = 0.9999;
const IMAGES: readonly { file: string; resize?: number; crop?: { left: number; top: number; size: number } }[] = [
  { file: 'group_apollo11.jpg', resize: 160 },
  { file: 'group_apollo11.jpg', crop: { left: 172, top: 100, size: 192 } },
  { file: 'noface_rocket.jpg', resize: 160 },
  { file: 'noface_rocket.jpg', crop: { left: 224, top: 118, size: 192 } },
  { file: 'lowres_bryan.png' },
];

async function load(spec: (typeof IMAGES)[number]): Promise<ort.Tensor> {
  let img = sharp(join(ROOT, 'test', 'fixtures', 'images', spec.file)).removeAlpha();
  if (spec.resize) img = img.resize(spec.resize, spec.resize, { fit: 'cover' });
  if (spec.crop) img = img.extract({ left: spec.crop.left, top: spec.crop.top, width: spec.crop.size, height: spec.crop.size });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  const plane = info.width * info.height;
  const x = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) x[c * plane + i] = data[i * 3 + c] / 255;
  return new ort.Tensor('float32', x, [1, 3, info.height, info.width]);
}

const source = x4fastInt8Source();
const tensors = [...quantizedTensors(source, x4fastInt8Nodes(source))];
const convInputs = new Set((source.graph?.node ?? []).filter((n) => n.opType === 'Conv').map((n) => n.input![0]));
// Every calibrated tensor becomes a graph output so one run reads them all.
const probe = decodeModel(encodeModel(source));
for (const t of tensors) if (t !== 'input') probe.graph!.output!.push({ name: t, type: { tensorType: { elemType: 1 } } });
const session = await ort.InferenceSession.create(encodeModel(probe), { intraOpNumThreads: 2 });

const ranges = new Map<string, [number, number]>();
const sums = new Map<string, Float64Array>();
for (const spec of IMAGES) {
  const input = await load(spec);
  const out = await session.run({ input });
  for (const t of tensors) {
    const value = t === 'input' ? input : out[t];
    const data = value.data as Float32Array;
    const [lo, hi] = quantileRange(data, QUANTILE);
    const r = ranges.get(t) ?? [0, 0];
    ranges.set(t, [Math.min(r[0], lo), Math.max(r[1], hi)]);
    if (!convInputs.has(t)) continue;
    const channels = value.dims[1];
    const plane = data.length / channels;
    const s = sums.get(t) ?? new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      let acc = 0;
      for (let i = c * plane; i < (c + 1) * plane; i++) acc += data[i];
      s[c] += acc / plane / IMAGES.length;
    }
    sums.set(t, s);
  }
  console.log(`calibrated on ${spec.file} ${input.dims.slice(2).join('x')}`);
}

const num = (v: number) => Number(v.toPrecision(7));
const lines = [
  '// Written by scripts/calibrate-x4fast-int8.ts (do not edit): activation ranges ([0.01 %, 99.99 %]',
  '// quantiles, widest over the images) and Conv input channel means of the int8-form x4fast graph,',
  `// from ${IMAGES.length} views of group_apollo11.jpg, noface_rocket.jpg and lowres_bryan.png (test/fixtures/images).`,
  'export const X4FAST_INT8_CALIBRATION: {',
  '  readonly ranges: Readonly<Record<string, readonly [number, number]>>;',
  '  readonly means: Readonly<Record<string, readonly number[]>>;',
  '} = {',
  '  ranges: {',
  ...[...ranges].map(([t, [lo, hi]]) => `    ${JSON.stringify(t)}: [${num(lo)}, ${num(hi)}],`),
  '  },',
  '  means: {',
  ...[...sums].map(([t, m]) => `    ${JSON.stringify(t)}: [${Array.from(m, num).join(', ')}],`),
  '  },',
  '};',
  '',
];
const file = join(ROOT, 'src', 'models', 'convert', 'quantize', 'x4fast-int8-calibration.ts');
writeFileSync(file, lines.join('\n'));
console.log(`wrote ${file}: ${ranges.size} ranges, ${sums.size} mean vectors`);
