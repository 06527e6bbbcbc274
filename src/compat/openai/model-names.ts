/**
 * OpenAI model names → installed image_creation models. Clients hard-code OpenAI's names
 * (dall-e-2, dall-e-3, gpt-image-1, …); those stand for one configurable default model
 * (BACKSERV_COMPAT_OPENAI_MODEL, else the registry's preferred installed one). An installed id
 * may also be named directly.
 */
import { ApiError } from '../../tasks/errors.js';
import { CompatError } from '../errors.js';

export const OPENAI_ALIASES = ['dall-e-2', 'dall-e-3', 'gpt-image-1'] as const;
const ALIAS = /^(dall-e-|gpt-image-)/i;

export interface ModelChoice {
  /** Installed model id to pass as task_params.model, or undefined for the registry default. */
  id: string | undefined;
  /** The client named an OpenAI model (or none): answers default to OpenAI's defaults for it. */
  alias: boolean;
  name: string;
}

export function chooseModel(asked: string | null | undefined, installed: readonly string[], configured: string | null): ModelChoice {
  const name = asked ?? 'dall-e-2';
  if (ALIAS.test(name)) {
    if (configured !== null && !installed.includes(configured)) {
      throw new ApiError('model_unavailable', `The server's default image model (${configured}, BACKSERV_COMPAT_OPENAI_MODEL) is not installed.`);
    }
    return { id: configured ?? undefined, alias: true, name };
  }
  if (installed.includes(name)) return { id: name, alias: false, name };
  throw CompatError.of('model_not_found', `The model '${name}' does not exist here; GET /v1/models lists the ones that do.`, 'model');
}
