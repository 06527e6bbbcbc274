/** JSON Schema of the OpenAI Images request body read here: validation (types) and the OpenAPI document. */
const opt = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...extra });

export const GENERATIONS_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  required: ['prompt'],
  properties: {
    prompt: { type: 'string', minLength: 1, maxLength: 2000 },
    model: opt('string', { description: 'dall-e-2, dall-e-3 and gpt-image-* mean the configured default model; or an installed model id (GET /v1/models)' }),
    n: opt('integer', { minimum: 1, maximum: 10 }),
    size: opt('string', { description: '"WxH" or "auto"; fitted to at most 1024 per side in multiples of 8 (the answer\'s size says what was made)' }),
    response_format: opt('string', { enum: ['url', 'b64_json', null], description: 'default: url for dall-e-* (and no model), b64_json otherwise' }),
    output_format: opt('string', { enum: ['png', 'jpeg', 'webp', null] }),
    output_compression: opt('integer', { minimum: 0, maximum: 100 }),
    quality: opt('string', { description: 'accepted and ignored' }),
    style: opt('string', { description: 'accepted and ignored' }),
    user: opt('string', { description: 'without API keys: the fair-queue lane' }),
    stream: opt('boolean', { description: 'streaming is not available: true is refused' }),
  },
} as const;

export const GENERATIONS_FIELDS: ReadonlySet<string> = new Set([
  ...Object.keys(GENERATIONS_SCHEMA.properties), 'background', 'moderation', 'partial_images',
]);
