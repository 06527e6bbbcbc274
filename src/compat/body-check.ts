/**
 * Type checks for compat request bodies with ajv, against the schemas the OpenAPI document
 * shows. Each API turns the first problem into its own error shape (A1111: 422 with FastAPI's
 * `detail` list; OpenAI: 400 with `param`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export interface BodyProblem {
  /** Dotted path of the field, e.g. "override_settings.sd_model_checkpoint"; "" = the body. */
  field: string;
  message: string;
}

const ajv = new Ajv({ allErrors: false, strict: false, allowUnionTypes: true });

function describe(err: ErrorObject): BodyProblem {
  const base = err.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (err.keyword === 'required') {
    const field = [base, String(err.params.missingProperty)].filter(Boolean).join('.');
    return { field, message: `${field} is required` };
  }
  // Every optional field also takes null; saying so in each type message is noise.
  const text = err.keyword === 'type' ? `must be ${String(err.params.type).replace(/,null$/, '')} (or null)` : err.message ?? 'is invalid';
  return { field: base, message: `${base || 'body'} ${text}` };
}

export class BodyCheck {
  private readonly fn: ValidateFunction;

  constructor(schema: object) {
    this.fn = ajv.compile(schema);
  }

  /** The body as a record, or the first problem. */
  check(body: unknown): { ok: true; body: Record<string, unknown> } | { ok: false; problem: BodyProblem } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { ok: false, problem: { field: '', message: 'The body must be a JSON object.' } };
    }
    if (!this.fn(body)) return { ok: false, problem: describe(this.fn.errors![0]) };
    return { ok: true, body: body as Record<string, unknown> };
  }
}
