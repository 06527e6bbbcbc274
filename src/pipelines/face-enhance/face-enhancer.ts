/**
 * The face_enhance step of a pipeline: the enhancer model resolved for the task type (the one
 * asked for, or the first installed), its session, and `enhance(frame, face)` per face with the
 * time it took, for the result's `face_enhancer` and `timings.enhance_ms`.
 */
import { join } from 'node:path';
import type { DecodedImage } from '../../imaging/decoded-image.js';
import type { Kernels } from '../../native/types.js';
import type { Session } from '../../runtime/index.js';
import { TaskError } from '../../tasks/task-errors.js';
import type { TaskType } from '../../tasks/types.js';
import type { Face } from '../face-swap/types.js';
import type { PipelineContext } from '../types.js';
import { enhanceFace } from './enhance-face.js';
import type { FaceEnhanceSettings } from './params.js';

export class FaceEnhancer {
  /** Milliseconds spent enhancing so far. */
  ms = 0;
  faces = 0;

  private constructor(readonly modelId: string, private readonly session: Session, private readonly settings: FaceEnhanceSettings,
    private readonly kernels: Kernels) {}

  static async create(ctx: PipelineContext, taskType: TaskType, settings: FaceEnhanceSettings): Promise<FaceEnhancer> {
    const model = ctx.models.resolveRole(taskType, 'enhancer', settings.model);
    if (!model) {
      const which = settings.model ? `the face enhancer "${settings.model}" is` : 'no face enhancer is';
      const id = settings.model ?? 'gfpgan-1.4';
      const command = `npx backserv models download ${id}${id === 'codeformer' ? ' --accept-license' : ''}`;
      throw new TaskError(`face_enhance: ${which} not installed any more; ask the operator to install it (${command}).`, 'model_unavailable');
    }
    return new FaceEnhancer(model.id, await ctx.sessions.get(join(model.dir, 'model.onnx')), settings, ctx.kernels);
  }

  async enhance(frame: DecodedImage, face: Face): Promise<void> {
    const t = performance.now();
    await enhanceFace(frame, face, this.session, this.settings, this.kernels);
    this.faces++;
    this.ms += performance.now() - t;
  }
}
