/**
 * Stable Diffusion on ONNX Runtime: the image_creation pipeline, and the pieces video_creation
 * composes (open a model, encode a prompt, denoise from noise or from an image, decode).
 */
export { runImageCreation } from './pipeline.js';
export { openSdModel, DEFAULT_VAE_SCALING } from './sd-model.js';
export type { SdModel, UnetIo } from './sd-model.js';
export { encodePrompt } from './text-encoder.js';
export type { PromptEmbeddings } from './text-encoder.js';
export { generateLatents, usesCfg, UnetBuffers, LATENT_CHANNELS } from './unet-loop.js';
export type { GenerateOptions, GeneratedLatents } from './unet-loop.js';
export { decodeLatents, encodeImage, tileStarts, DECODE_TILE } from './vae.js';
export type { DecodeOptions, DecodeTiling, DecodedRgb, RgbImage } from './vae.js';
export { MODEL_DEFAULTS, defaultsFor, randomSeed } from './defaults.js';
export type { ModelDefaults, ResolvedDefaults, SdModelInfo } from './defaults.js';
export { imageCreationParams, IMAGE_SIZE } from './params.js';
export type { CreationSettings } from './params.js';
export { readSdModelInfo, sdModelLookup } from './model-info.js';
export { randn, TorchCpuGenerator, NoiseStream } from './noise.js';
