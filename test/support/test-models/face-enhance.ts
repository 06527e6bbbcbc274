/**
 * Face enhancers with the real input signatures (models/manifest.json): GFPGAN v1.4 (`input`
 * f32 [1,3,512,512] in [-1,1] -> one f32 [1,3,512,512] output) and CodeFormer (`input` plus
 * `weight` f64 [1], the fidelity w). Their transforms are deterministic and easy to see in a
 * result: GFPGAN's negates the face (a colour inversion once denormalised); CodeFormer's scales
 * it by 2w − 1, so w = 1 gives the face back and w = 0 inverts it. The real exports leave the
 * output unnamed (the pipeline reads it by position); these call it `output`.
 */
import { DT, GraphBuilder } from '../../../src/models/convert/onnx-graph.js';

const FACE: readonly number[] = [1, 3, 512, 512];

export function buildGfpganTest(): Uint8Array {
  const g = new GraphBuilder('gfpgan_test');
  const x = g.input('input', DT.FLOAT, FACE);
  g.op('Neg', [x], {}, 'output');
  g.output('output', DT.FLOAT, FACE);
  return g.encode();
}

export function buildCodeformerTest(): Uint8Array {
  const g = new GraphBuilder('codeformer_test');
  const x = g.input('input', DT.FLOAT, FACE);
  const w = g.input('weight', DT.DOUBLE, [1]);
  const wf = g.op('Cast', [w], { to: DT.FLOAT });
  const gain = g.op('Sub', [g.op('Mul', [wf, g.floats([2], [])]), g.floats([1], [])]);
  g.op('Mul', [x, gain], {}, 'output');
  g.output('output', DT.FLOAT, FACE);
  return g.encode();
}
