/**
 * The seam between a task type's parameters and everything that reads them: the API validates
 * with `schema` (and `crossCheck`), the OpenAPI document prints `schema`, and the pipeline calls
 * `parse` once to get typed Settings with every default applied. A params module must stay light
 * (no onnxruntime, sharp or pipeline run code): the API process imports it.
 *
 * Where parse runs: in the worker thread, at the start of the pipeline's run. Defaults such as
 * the image size depend on the model the task runs on, and only the worker knows that model for
 * sure: a serve node in scale-out mode has no model folders, and the model's own config files
 * (scheduler class, native sample size) are read from the worker's disk. So the API validates and
 * stores task_params exactly as sent (no defaults filled in), and parse applies each default once.
 */

import type { ModelRegistry } from '../../models/types.js';

/** JSON Schema of one task type's task_params, as ajv compiles it and OpenAPI 3.1 prints it. */
export interface ParamsSchema {
  readonly type: 'object';
  readonly additionalProperties: false;
  readonly required: readonly string[];
  readonly properties: Readonly<Record<string, PropertySchema>>;
  /** Alternatives the schema states itself (e.g. exactly one of two fields is required); crossCheck words the message. */
  readonly oneOf?: readonly Readonly<Record<string, unknown>>[];
}

/** One property: bounds, a description, and `default` only where it holds for every model. */
export type PropertySchema = Readonly<Record<string, unknown>> & { readonly description: string };

/** task_params after the door: schema-valid, as the client sent them. */
export type TaskParams = Readonly<Record<string, unknown>>;

/**
 * How parse learns which model the task runs on: given task_params.model (undefined when the
 * request names none), the facts about the installed model that will run it. parse calls it once;
 * the worker's version throws model_unavailable when nothing suitable is installed.
 */
export type ModelLookup<M> = (requested: string | undefined) => M;

/**
 * An optional model a request asks for (face_enhance's enhancer): at submit the API answers 400
 * naming `field`, with the install command, when none of `models` is installed for the task type.
 */
export interface ModelNeed {
  field: string;
  /** For the message, e.g. "a face enhancer". */
  what: string;
  /** Manifest ids, any one of which will do, in preference order. */
  models: readonly string[];
}

export interface ParamsModule<S, M = never> {
  readonly schema: ParamsSchema;
  /** Rules across fields that JSON Schema cannot state; null when the params keep them. Runs at the door after the schema. */
  crossCheck?(params: TaskParams): string | null;
  /**
   * Rules that depend on the installed models (a field only some models take, a model id inside
   * the params); null when kept. Runs at the door after the model check, before anything is queued.
   */
  modelCheck?(params: TaskParams, models: Pick<ModelRegistry, 'resolve' | 'availability'>): string | null;
  /** Optional models these params ask for beyond the task type's own (checked at submit). */
  modelNeeds?(params: TaskParams): ModelNeed[];
  /** Applies the defaults (model-dependent ones from `model`) and returns what the pipeline runs on. */
  parse(params: TaskParams, model: ModelLookup<M>): S;
}
