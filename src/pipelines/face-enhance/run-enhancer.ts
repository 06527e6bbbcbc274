/**
 * One enhancer inference: the aligned 512 face (f32 NCHW RGB in [-1,1]) in, the restored face
 * out as u8 HWC RGB (clip to [-1,1], (y+1)/2·255, rounded, as GFPGAN's tensor2img). CodeFormer
 * also takes its fidelity w as a float64 [1]. Inputs are found by name where the export names
 * them ("input"/"weight" in FaceFusion's files, "x"/"w" in others), else by position.
 */
import { tensor, type Session } from '../../runtime/index.js';
import { TaskError } from '../../tasks/task-errors.js';
import { floatData } from '../face-swap/tensors.js';
import { ENHANCE_SIZE } from './template.js';

const IMAGE_NAMES = ['input', 'x'];
const WEIGHT_NAMES = ['weight', 'w'];

function feedNames(session: Session): { image: string; weight: string | null } {
  const names = session.inputNames;
  const image = names.find((n) => IMAGE_NAMES.includes(n)) ?? names[0];
  const weight = names.find((n) => WEIGHT_NAMES.includes(n)) ?? names.find((n) => n !== image) ?? null;
  return { image, weight };
}

export async function runEnhancer(session: Session, face: Float32Array, fidelity: number): Promise<Uint8Array> {
  const n = ENHANCE_SIZE * ENHANCE_SIZE;
  const names = feedNames(session);
  const feeds = { [names.image]: tensor('float32', face, [1, 3, ENHANCE_SIZE, ENHANCE_SIZE]) };
  if (names.weight) feeds[names.weight] = tensor('float64', Float64Array.of(fidelity), [1]);
  const out = await session.run(feeds);
  const y = floatData(out[session.outputNames[0]], 'face enhancer output');
  if (y.length !== 3 * n) throw new TaskError(`the face enhancer returned ${y.length} values, expected ${3 * n} (a 512×512 RGB face)`, 'model_error');
  const rgb = new Uint8Array(3 * n);
  for (let c = 0; c < 3; c++) {
    const plane = c * n;
    for (let i = 0; i < n; i++) {
      const v = y[plane + i];
      // NaN fails both tests and lands on 0.
      rgb[3 * i + c] = v > -1 ? (v < 1 ? Math.round((v + 1) * 127.5) : 255) : 0;
    }
  }
  return rgb;
}
