/**
 * Settings of the client-compatibility layer (src/compat/: the AUTOMATIC1111 and OpenAI Images
 * APIs). Parsed here so config.ts gains one field; a malformed value stops the service with a
 * message naming the variable, like the rest of the configuration.
 */
import { envInt, type Env } from './env-int.js';

export interface CompatConfig {
  /** Off (`BACKSERV_COMPAT=0`): the /sdapi and /v1 routes are not mounted. */
  enabled: boolean;
  /**
   * The installed image_creation model that OpenAI model names (dall-e-2, dall-e-3,
   * gpt-image-*) stand for; null = the registry's preferred installed model.
   */
  openaiModel: string | null;
  /** Longest a synchronous compat call waits for its tasks before answering 504 (and cancelling them). */
  waitMs: number;
  /** Most images one call may ask for (A1111 batch_size × n_iter). */
  maxImages: number;
}

const MODEL_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function loadCompatConfig(env: Env): CompatConfig {
  const model = env.BACKSERV_COMPAT_OPENAI_MODEL?.trim() || null;
  if (model !== null && !MODEL_ID.test(model)) {
    throw new TypeError(`BACKSERV_COMPAT_OPENAI_MODEL must be a model id such as sd-turbo (got "${model}")`);
  }
  return {
    enabled: env.BACKSERV_COMPAT !== '0',
    openaiModel: model,
    waitMs: envInt(env, 'BACKSERV_COMPAT_WAIT_MS', 600_000, 100, 86_400_000),
    maxImages: envInt(env, 'BACKSERV_COMPAT_MAX_IMAGES', 16, 1, 100),
  };
}
