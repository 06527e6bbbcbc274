/** tfjs graph model -> ONNX: the public surface (see convert.ts for the approach). */
export { SUPPORTED_TFJS_OPS, TFJS_ONNX_OPSET, tfjsToOnnx } from './convert.js';
export type { IoSpec, TfjsConversion, TfjsConvertOptions } from './convert.js';
export { TfjsConvertError } from './model-json.js';
export type { TfjsModelJson } from './model-json.js';
export { convertTfjsFile, convertTfjsSource, TFJS_PREFIX, TFJS_SOURCES } from './sources.js';
