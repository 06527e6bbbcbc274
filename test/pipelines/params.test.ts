/**
 * Each pipeline's params module against its own schema, for every task type in the registry:
 * parse reads every schema property and nothing else, returns one Settings field per property,
 * applies each default exactly once (the door fills in nothing; the model is looked up once; an
 * explicit value always wins), and every default it applies is documented in the schema (a
 * `default` keyword where it holds for every model, a "default:" description where it depends on
 * the model). Values are generated from the schemas and checked with the real RequestValidator.
 */
import { describe, expect, it } from 'vitest';
import { RequestValidator } from '../../src/api/validate.js';
import { defaultsFor, type SdModelInfo } from '../../src/pipelines/image-creation/defaults.js';
import { defaultPreviewEvery } from '../../src/pipelines/image-creation/edit-params.js';
import { SDXL_ONLY_FIELDS } from '../../src/pipelines/image-creation/sdxl-params.js';
import { createScheduler, SCHEDULER_NAMES } from '../../src/pipelines/image-creation/schedulers/index.js';
import type { ModelLookup, PropertySchema, TaskParams } from '../../src/pipelines/params/types.js';
import { PIPELINE_PARAMS } from '../../src/pipelines/registry.js';
import { VIDEO } from '../../src/pipelines/video-creation/params.js';
import { TASK_TYPES, type TaskType } from '../../src/tasks/types.js';

/** Installed models with different defaults: sd15 from the table (512²), a folder declaring 384×320, and an SDXL folder (1024²). */
const FIXTURES: readonly SdModelInfo[] = [
  { id: 'sd15', dir: '/models/sd15', schedulerClass: 'PNDMScheduler', nativeSize: null },
  { id: 'custom-lcm', dir: '/models/custom-lcm', schedulerClass: 'LCMScheduler', nativeSize: { width: 384, height: 320 } },
  { id: 'custom-xl', dir: '/models/custom-xl', schedulerClass: 'EulerDiscreteScheduler', nativeSize: { width: 1024, height: 1024 }, family: 'sdxl' },
];

const camel = (field: string) => field.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const validator = new RequestValidator();

/** A lookup that answers with `model` (renamed to the requested id, if any) and counts its calls. */
function lookupOf(model: SdModelInfo) {
  const calls: (string | undefined)[] = [];
  const lookup: ModelLookup<never> = ((requested: string | undefined) => {
    calls.push(requested);
    return requested === undefined ? model : { ...model, id: requested };
  }) as ModelLookup<never>;
  return { lookup, calls };
}

function parse(type: TaskType, params: TaskParams, model: SdModelInfo) {
  const { lookup, calls } = lookupOf(model);
  const read = new Set<string>();
  const watched = new Proxy(params, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  const settings = PIPELINE_PARAMS[type].parse(watched, lookup) as Record<string, unknown>;
  return { settings, read, calls };
}

/** A valid value for a property, from its schema; `avoid` is a value it must differ from. */
function valueFor(field: string, prop: PropertySchema, avoid?: unknown): unknown {
  // A choice of shapes: the first alternative that yields a value other than `avoid`.
  if (Array.isArray(prop.oneOf)) {
    for (const alt of prop.oneOf as PropertySchema[]) {
      const v = valueFor(field, alt, avoid);
      if (v !== undefined && JSON.stringify(v) !== JSON.stringify(avoid)) return v;
    }
    throw new Error(`no candidate value for ${field}`);
  }
  if (prop.type === 'array') {
    const item = valueFor(field, prop.items as PropertySchema);
    return JSON.stringify([item]) === JSON.stringify(avoid) ? [valueFor(field, prop.items as PropertySchema, item)] : [item];
  }
  if (prop.type === 'boolean') return avoid !== true;
  if (prop.type === 'object') {
    // Every numeric sub-field at its smallest positive step (the outpaint sides: 8 px each) or its minimum if larger; others from their schema.
    const sub = prop.properties as Record<string, PropertySchema>;
    const numeric = (p: PropertySchema) => (p.multipleOf as number | undefined) ?? Math.max(1, (p.minimum as number | undefined) ?? 1);
    return Object.fromEntries(Object.entries(sub).map(([k, p]) => [k, p.type === 'integer' || p.type === 'number' ? numeric(p) : valueFor(k, p)]));
  }
  if (Array.isArray(prop.enum)) return [...(prop.enum as unknown[])].reverse().find((v) => v !== avoid);
  if (prop.type === 'integer' || prop.type === 'number') {
    const lo = prop.minimum as number;
    const hi = prop.maximum as number;
    const step = (prop.multipleOf as number | undefined) ?? 1;
    const mid = Math.round((lo + hi) / 2 / step) * step;
    return [lo, hi, mid].find((v) => v !== avoid);
  }
  if (typeof prop.pattern === 'string') {
    const candidates = ['https://example.com/a.png', 'data:image/png;base64,AAAA', 'explicit-model'];
    const hit = candidates.find((c) => new RegExp(prop.pattern as string).test(c) && c !== avoid);
    if (!hit) throw new Error(`no candidate value for ${field}`);
    return hit;
  }
  return `some ${field}`;
}

/** A top-level oneOf's alternatives (face_swap: target_image or target_video), each the fields it requires. */
function alternatives(type: TaskType): string[][] {
  const oneOf = PIPELINE_PARAMS[type].schema.oneOf as readonly { required?: string[] }[] | undefined;
  return oneOf ? oneOf.map((alt) => alt.required ?? []) : [[]];
}

/** The required fields, plus one alternative's (the first by default). */
function minimalParams(type: TaskType, alternative = 0): Record<string, unknown> {
  const { properties, required } = PIPELINE_PARAMS[type].schema;
  const fields = [...required, ...alternatives(type)[alternative]];
  return Object.fromEntries(fields.map((f) => [f, valueFor(f, properties[f])]));
}

/** Minimal params that accept `extra`: the first alternative whose cross-field rules allow it. */
function minimalWith(type: TaskType, extra: Record<string, unknown>): Record<string, unknown> {
  const alts = alternatives(type);
  for (let i = 0; i < alts.length; i++) {
    const params = { ...minimalParams(type, i), ...extra };
    try {
      accepted(type, params);
      return params;
    } catch {
      // this alternative refuses the field: try the next
    }
  }
  return { ...minimalParams(type), ...extra }; // none accepts it: let the caller's assertion say so
}

function accepted(type: TaskType, params: Record<string, unknown>): Record<string, unknown> {
  const body = { task_type: type, task_params: structuredClone(params), user_id: 'u' };
  return validator.submitBody(body).task_params;
}

/**
 * What parse must give for an optional property that has no `default` keyword: the model's own
 * default, a random seed, or a rule. A property missing here (or listed here but not optional
 * without a default) fails the coverage test below, so a new parameter cannot skip this check.
 */
const NO_KEYWORD: Record<string, (model: SdModelInfo, type: TaskType) => (v: unknown) => boolean> = {
  negative_prompt: () => (v) => v === '',
  width: (m, t) => (v) => v === Math.min(defaultsFor(m).width, t === 'video_creation' ? VIDEO.maxSide : Infinity),
  height: (m, t) => (v) => v === Math.min(defaultsFor(m).height, t === 'video_creation' ? VIDEO.maxSide : Infinity),
  steps: (m) => (v) => v === defaultsFor(m).steps,
  guidance_scale: (m) => (v) => v === defaultsFor(m).guidanceScale,
  scheduler: (m) => (v) => v === defaultsFor(m).scheduler,
  seed: () => (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32,
  model: (m) => (v) => v === m,
  source_face_index: () => (v) => v === 'largest',
  init_image: () => (v) => v === null,
  mask_image: () => (v) => v === null,
  outpaint: () => (v) => v === null,
  preview_every: (m) => (v) => v === defaultPreviewEvery(defaultsFor(m).steps),
  target_face_index: () => (v) => v === 'all',
  mask_threshold: () => (v) => v === null,
  target_faces: () => (v) => v === 'all',
  reference_image: () => (v) => v === undefined,
  engine: () => (v) => v === 'auto',
  face_mask: () => (v) => v === undefined, // the engine's own: box for inswapper, oval for mesh
  mask_regions: () => (v) => JSON.stringify(v) === JSON.stringify(['skin', 'eyes', 'eyebrows', 'nose', 'mouth', 'lips']),
  mask_blur: () => (v) => v === 0.3,
  hires: () => (v) => v === null,
  loras: () => (v) => Array.isArray(v) && v.length === 0,
  prompt_2: () => (v) => v === null,
  negative_prompt_2: () => (v) => v === null,
  original_size: () => (v) => v === null,
  face_enhance: () => (v) => v === null,
  temporal_smoothing: () => (v) => v === true,
  keep_target_regions: () => (v) => Array.isArray(v) && v.length === 0, // documented "none": nothing kept
};

/**
 * Fields whose Settings hold a normalised form of the value sent: what parse must give for it.
 * face_enhance `true` means the first installed enhancer at the documented defaults.
 */
const NORMALISED: Record<string, (sent: unknown) => unknown> = {
  face_enhance: (sent) => (sent === true ? { model: undefined, blend: 1, fidelity: 0.5 } : sent),
};

describe.each(TASK_TYPES.map((t) => [t]))('%s parameters', (type) => {
  const { schema } = PIPELINE_PARAMS[type];
  const fields = Object.keys(schema.properties);
  const chosen = alternatives(type).flat(); // required one of (oneOf): neither required nor optional
  const optional = fields.filter((f) => !schema.required.includes(f) && !chosen.includes(f));

  // Only task types with a oneOf (face_swap) get this test.
  if (chosen.length > 0) it('oneOf: each alternative alone is accepted; both, or neither, is refused', () => {
    const alts = alternatives(type);
    for (let i = 0; i < alts.length; i++) expect(() => accepted(type, minimalParams(type, i))).not.toThrow();
    const both = Object.assign({}, ...alts.map((_, i) => minimalParams(type, i))) as Record<string, unknown>;
    expect(() => accepted(type, both)).toThrow();
    const neither = Object.fromEntries(Object.entries(minimalParams(type)).filter(([k]) => !chosen.includes(k)));
    expect(() => accepted(type, neither)).toThrow();
  });

  it('the door leaves task_params exactly as sent (no defaults written there)', () => {
    const sent = minimalParams(type);
    expect(accepted(type, sent)).toEqual(sent);
  });

  it('parse reads every schema property and nothing else, and returns a Settings field for each', () => {
    for (const model of FIXTURES) {
      const { settings, read } = parse(type, minimalParams(type), model);
      expect([...read].sort()).toEqual([...fields].sort());
      for (const f of fields) expect(settings, f).toHaveProperty(camel(f));
    }
  });

  it('looks the model up exactly once, with the model the request names (or none)', () => {
    const { calls } = parse(type, minimalParams(type), FIXTURES[0]);
    const named = parse(type, { ...minimalParams(type), model: 'explicit-model' }, FIXTURES[0]);
    if ('model' in schema.properties) {
      expect(calls).toEqual([undefined]);
      expect(named.calls).toEqual(['explicit-model']);
    } else {
      expect(calls).toEqual([]); // this type's models are fixed per role
    }
  });

  it('every default is documented, and parse applies exactly the documented one', () => {
    for (const f of optional) {
      const prop = schema.properties[f];
      expect(prop.description, `${f} has a description`).toMatch(/\S/);
      if (!('default' in prop)) expect(prop.description, `${f}: its default is documented`).toMatch(/default: \S/);
      for (const model of FIXTURES) {
        const got = parse(type, minimalParams(type), model).settings[camel(f)];
        if ('default' in prop) expect(got, `${f} on ${model.id}`).toEqual(prop.default);
        else expect(NO_KEYWORD[f](model, type)(got), `${f} on ${model.id}: ${JSON.stringify(got)}`).toBe(true);
      }
    }
    // Every optional property without a `default` keyword has an expectation above.
    expect(optional.filter((f) => !('default' in schema.properties[f]) && !(f in NO_KEYWORD))).toEqual([]);
  });

  it('an explicit value always wins over the default, even one that equals a default elsewhere', () => {
    for (const model of FIXTURES) {
      for (const f of optional) {
        const defaulted = parse(type, minimalParams(type), model).settings[camel(f)];
        const value = valueFor(f, schema.properties[f], f === 'model' ? undefined : defaulted);
        const params = accepted(type, minimalWith(type, { [f]: value }));
        if (SDXL_ONLY_FIELDS.includes(f) && model.family !== 'sdxl') {
          // Taken only by SDXL models: parse refuses it on the others, naming the field.
          expect(() => parse(type, params, model)).toThrow(new RegExp(`task_params\\.${f} is for SDXL models`));
          continue;
        }
        const got = parse(type, params, model).settings[camel(f)];
        if (f === 'model') expect((got as SdModelInfo).id).toBe(value);
        else expect(got, `${f} on ${model.id}`).toEqual(f in NORMALISED ? NORMALISED[f](value) : value);
      }
    }
  });

  it('unknown fields are refused at the door, naming the field', () => {
    expect(() => accepted(type, { ...minimalParams(type), colour: 'red' })).toThrow(/task_params\.colour is not a known field/);
  });
});

describe('model defaults reach the request (they used to be masked by a schema default of 512)', () => {
  const custom = FIXTURES[1];
  it('no width/height: the size the model declares; an explicit 512 stays 512', () => {
    const none = PIPELINE_PARAMS.image_creation.parse({ prompt: 'x' }, lookupOf(custom).lookup) as Record<string, unknown>;
    expect([none.width, none.height]).toEqual([384, 320]);
    const explicit = PIPELINE_PARAMS.image_creation.parse({ prompt: 'x', width: 512 }, lookupOf(custom).lookup) as Record<string, unknown>;
    expect([explicit.width, explicit.height]).toEqual([512, 320]);
    const table = PIPELINE_PARAMS.image_creation.parse({ prompt: 'x' }, lookupOf(FIXTURES[0]).lookup) as Record<string, unknown>;
    expect([table.width, table.height, table.steps, table.scheduler]).toEqual([512, 512, 25, 'dpmpp_2m_karras']);
  });

  it('video caps a model size above its limit at 768, and keeps the frame rule at the door and in parse', () => {
    const big = { ...custom, nativeSize: { width: 1024, height: 512 } };
    const s = PIPELINE_PARAMS.video_creation.parse({ prompt: 'x' }, lookupOf(big).lookup) as Record<string, unknown>;
    expect([s.width, s.height, s.frames, s.steps]).toEqual([768, 512, 16, 4]);
    expect(() => accepted('video_creation', { prompt: 'x', duration: 10, fps: 30 })).toThrow('task_params.duration × fps = 300 frames is over the limit of 120.');
    expect(() => accepted('video_creation', { prompt: 'x', fps: 30 })).not.toThrow(); // 2 s default × 30
    expect(() => PIPELINE_PARAMS.video_creation.parse({ prompt: 'x', duration: 10, fps: 30 }, lookupOf(custom).lookup)).toThrow(/1 to 120 frames/);
  });

  it('a value of the wrong type is refused by parse (direct callers), not replaced by a default', () => {
    expect(() => PIPELINE_PARAMS.image_creation.parse({ prompt: 'x', width: '512' }, lookupOf(custom).lookup)).toThrow(/task_params\.width must be an integer/);
    expect(() => PIPELINE_PARAMS.image_creation.parse({ prompt: 'x', scheduler: 'heun' }, lookupOf(custom).lookup)).toThrow(/task_params\.scheduler must be one of/);
  });
});

describe('one list of schedulers', () => {
  it('the schema enum is SCHEDULER_NAMES, and the factory builds each of them under that name', () => {
    expect(PIPELINE_PARAMS.image_creation.schema.properties.scheduler.enum).toEqual([...SCHEDULER_NAMES]);
    for (const name of SCHEDULER_NAMES) expect(createScheduler(name).name).toBe(name);
  });
});
