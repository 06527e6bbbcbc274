/**
 * The two face_swap engines behind one seam: prepared once per source face, then `swap` per
 * target face on the frame (in place). Each keeps its own step timings for the result's
 * `timings`. The mesh engine also carries the pose guard: a yaw difference beyond
 * MAX_YAW_DIFFERENCE between source and target fails with a message saying what to change.
 * Both leave keep_target_regions to the target (decided per face when "auto").
 */
import type { DecodedImage } from '../../imaging/decoded-image.js';
import type { Kernels } from '../../native/types.js';
import type { Session } from '../../runtime/index.js';
import { affineScale } from './affine.js';
import { loadEmap } from './emap.js';
import { faceEmbedding } from './embed.js';
import { faceMesh } from './landmarks.js';
import { applyKeep, keepTargetMask } from './keep-target.js';
import { cropRegionMask, meshFaceSize, type FaceMaskSpec } from './mask.js';
import { meshSwapFace } from './mesh-swap.js';
import { keepRegionsFor } from './openness.js';
import type { FaceSwapSettings, KeepRegion } from './params.js';
import { featherMask } from './paste-back.js';
import { checkPose } from './pose.js';
import { alignForSwap, runSwapper, swapLatent, SWAP_SIZE } from './swap.js';
import type { Face } from './types.js';

export interface FaceEngine {
  readonly name: 'inswapper' | 'mesh';
  readonly modelId: string;
  readonly maskKind: FaceMaskSpec['kind'];
  /** Accumulated ms per step, named for the result's timings. */
  readonly timings: Record<string, number>;
  /** `index`: the face's index in the target (left to right), for messages. */
  swap(frame: DecodedImage, face: Face, index: number): Promise<void>;
}

function maskSpec(s: FaceSwapSettings, fallback: 'box' | 'oval'): FaceMaskSpec {
  const kind = s.faceMask ?? fallback;
  if (kind === 'regions') return { kind, regions: s.maskRegions };
  return { kind };
}

export interface InswapperSessions {
  swapper: Session;
  embedder: Session;
  landmarks: Session;
  emapPath: string;
}

export class InswapperEngine implements FaceEngine {
  readonly name = 'inswapper';
  readonly modelId = 'inswapper-128';
  readonly timings = { align_ms: 0, landmarks_ms: 0, swap_ms: 0, paste_back_ms: 0 };

  private constructor(private readonly sessions: InswapperSessions, private readonly latent: Float32Array,
    private readonly mask: FaceMaskSpec, private readonly blur: number, private readonly kernels: Kernels,
    private readonly keep: KeepRegion[] | 'auto', private readonly sourcePts: Float32Array | null) {}

  get maskKind(): FaceMaskSpec['kind'] { return this.mask.kind; }

  static async create(sessions: InswapperSessions, source: DecodedImage, sourceFace: Face, s: FaceSwapSettings,
    kernels: Kernels): Promise<InswapperEngine> {
    const latent = swapLatent(await faceEmbedding(sessions.embedder, source, sourceFace, kernels), loadEmap(sessions.emapPath));
    // "auto" compares the source's eye and mouth openness with each target's: the source mesh once.
    const sourcePts = s.keepTargetRegions === 'auto' ? (await faceMesh(sessions.landmarks, source, sourceFace, kernels)).points : null;
    return new InswapperEngine(sessions, latent, maskSpec(s, 'box'), s.maskBlur, kernels, s.keepTargetRegions, sourcePts);
  }

  async swap(frame: DecodedImage, face: Face): Promise<void> {
    const ta = performance.now();
    const crop = alignForSwap(frame, face, this.kernels);
    const tb = performance.now();
    const needMesh = this.mask.kind !== 'box' || this.keep === 'auto' || this.keep.length > 0;
    const points = needMesh ? (await faceMesh(this.sessions.landmarks, frame, face, this.kernels)).points : null;
    const mask = this.mask.kind === 'box' || !points
      ? featherMask(crop.m, SWAP_SIZE, this.kernels)
      : cropRegionMask(points, this.mask, crop.m, SWAP_SIZE, this.blur, this.kernels);
    const keep = points ? keepRegionsFor(this.keep, this.sourcePts ?? points, points) : [];
    if (points && keep.length > 0) {
      applyKeep(mask, keepTargetMask(points, keep, crop.m, SWAP_SIZE, SWAP_SIZE, meshFaceSize(points) * affineScale(crop.m), this.blur, this.kernels));
    }
    const tc = performance.now();
    const swapped = await runSwapper(this.sessions.swapper, crop, this.latent);
    const td = performance.now();
    this.kernels.pasteBack(frame.data, frame.width, frame.height, frame.channels, swapped.rgb, SWAP_SIZE, SWAP_SIZE, mask, swapped.m);
    this.timings.align_ms += tb - ta;
    this.timings.landmarks_ms += tc - tb;
    this.timings.swap_ms += td - tc;
    this.timings.paste_back_ms += performance.now() - td;
  }
}

export class MeshEngine implements FaceEngine {
  readonly name = 'mesh';
  readonly modelId = 'facemesh';
  readonly timings = { landmarks_ms: 0, warp_blend_ms: 0 };

  private constructor(private readonly session: Session, private readonly source: DecodedImage,
    private readonly sourcePts: Float32Array, private readonly mask: Exclude<FaceMaskSpec, { kind: 'box' }>,
    private readonly blur: number, private readonly kernels: Kernels, private readonly keep: KeepRegion[] | 'auto') {}

  get maskKind(): FaceMaskSpec['kind'] { return this.mask.kind; }

  static async create(session: Session, source: DecodedImage, sourceFace: Face, s: FaceSwapSettings, kernels: Kernels): Promise<MeshEngine> {
    const spec = maskSpec(s, 'oval');
    // The warp covers the mesh only: a box mask would paste unwarped pixels, so it means the oval here.
    const mask = spec.kind === 'box' ? { kind: 'oval' as const } : spec;
    const { points } = await faceMesh(session, source, sourceFace, kernels);
    return new MeshEngine(session, source, points, mask, s.maskBlur, kernels, s.keepTargetRegions);
  }

  async swap(frame: DecodedImage, face: Face, index: number): Promise<void> {
    const ta = performance.now();
    const { points } = await faceMesh(this.session, frame, face, this.kernels);
    const tb = performance.now();
    checkPose(this.sourcePts, points, index);
    const keep = keepRegionsFor(this.keep, this.sourcePts, points);
    meshSwapFace(frame, this.source, this.sourcePts, points, { mask: this.mask, maskBlur: this.blur, keep }, this.kernels);
    this.timings.landmarks_ms += tb - ta;
    this.timings.warp_blend_ms += performance.now() - tb;
  }
}
