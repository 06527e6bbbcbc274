/**
 * Face detection with whichever detector is installed: SCRFD det_10g (insightface's) or the
 * bundled YuNet. Both return boxes, scores and 5 landmarks in source-image pixels, sorted
 * left to right, so `*_face_index` means the same thing with either.
 */
import { NORM_INSIGHTFACE, type Kernels, type Normalization } from '../../native/types.js';
import { tensor, type Session } from '../../runtime/index.js';
import type { DecodedImage } from '../../imaging/decoded-image.js';
import { letterbox } from './letterbox.js';
import { nms } from './nms.js';
import { decodeScrfd, SCRFD_STRIDES } from './scrfd-decode.js';
import { floatData } from './tensors.js';
import type { Face } from './types.js';
import { decodeYunet, YUNET_STRIDES } from './yunet-decode.js';

export type DetectorKind = 'scrfd' | 'yunet';

export interface Detector {
  kind: DetectorKind;
  session: Session;
}

export interface DetectOptions {
  /** Longer side of the network input (default 640). */
  fit?: number;
  /** Score threshold (default 0.5 for SCRFD, 0.9 for YuNet, as their reference code). */
  threshold?: number;
}

/** YuNet wants BGR 0–255. */
const YUNET_NORM: Normalization = { mean: [0, 0, 0], std: [1, 1, 1], bgr: true };

export function detectorKindFor(modelId: string): DetectorKind {
  return modelId.startsWith('scrfd') ? 'scrfd' : 'yunet';
}

export async function detectFaces(img: DecodedImage, detector: Detector, kernels: Kernels, opts: DetectOptions = {}): Promise<Face[]> {
  const fit = opts.fit ?? 640;
  const faces = detector.kind === 'scrfd'
    ? await runScrfd(img, detector.session, kernels, fit, opts.threshold ?? 0.5)
    : await runYunet(img, detector.session, kernels, fit, opts.threshold ?? 0.9);
  return faces.sort((a, b) => a.box[0] + a.box[2] - (b.box[0] + b.box[2]));
}

async function runScrfd(img: DecodedImage, session: Session, kernels: Kernels, fit: number, threshold: number): Promise<Face[]> {
  // SCRFD sees RGB (x − 127.5)/128 on a square zero canvas (MODELS.md §4).
  const lb = letterbox(img, kernels, fit, fit, NORM_INSIGHTFACE);
  const out = await session.run({ [session.inputNames[0]]: tensor('float32', lb.tensor, [1, 3, lb.height, lb.width]) });
  const names = session.outputNames;
  if (names.length < 9) throw new RangeError(`SCRFD model has ${names.length} outputs; det_10g has 9`);
  const levels = SCRFD_STRIDES.map((stride, i) => ({
    stride,
    scores: floatData(out[names[i]], `SCRFD scores ${stride}`),
    boxes: floatData(out[names[i + 3]], `SCRFD boxes ${stride}`),
    kps: floatData(out[names[i + 6]], `SCRFD keypoints ${stride}`),
  }));
  const kept = nms(decodeScrfd(levels, lb.width, lb.height, threshold), 0.4, true);
  return kept.map((f) => toSource(f, lb.scale, img));
}

async function runYunet(img: DecodedImage, session: Session, kernels: Kernels, fit: number, threshold: number): Promise<Face[]> {
  const lb = letterbox(img, kernels, fit, 'round32', YUNET_NORM);
  const out = await session.run({ [session.inputNames[0]]: tensor('float32', lb.tensor, [1, 3, lb.height, lb.width]) });
  const levels = YUNET_STRIDES.map((stride) => ({
    stride,
    cls: floatData(out[`cls_${stride}`], `YuNet cls_${stride}`),
    obj: floatData(out[`obj_${stride}`], `YuNet obj_${stride}`),
    bbox: floatData(out[`bbox_${stride}`], `YuNet bbox_${stride}`),
    kps: floatData(out[`kps_${stride}`], `YuNet kps_${stride}`),
  }));
  const kept = nms(decodeYunet(levels, lb.width, lb.height, threshold), 0.3, false);
  return kept.map((f) => toSource(f, lb.scale, img));
}

/** Network pixels → source pixels; boxes clipped to the image (landmarks are left as predicted). */
function toSource(f: Face, scale: number, img: DecodedImage): Face {
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const [x1, y1, x2, y2] = f.box.map((v) => v / scale);
  return {
    box: [clip(x1, img.width), clip(y1, img.height), clip(x2, img.width), clip(y2, img.height)],
    score: f.score,
    landmarks: f.landmarks.map(([x, y]) => [x / scale, y / scale] as const) as Face['landmarks'],
  };
}
