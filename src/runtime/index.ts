/**
 * The only module that imports onnxruntime-node. Pipelines get sessions and build tensors
 * through here so that provider choice, threading and caching live in one place.
 */
import * as ort from 'onnxruntime-node';

export { chooseDevice, cudaProviderInstalled } from './device.js';
export type { DeviceChoice } from './device.js';
export { parseDeviceSetting } from '../config/device-setting.js';
export type { DeviceName, DeviceSetting } from '../config/device-setting.js';
export { SessionCache } from './session-cache.js';
export type { DerivedModel, SessionSettings } from './session-cache.js';
export { sessionSignature } from './signature.js';
export type { SessionSignature, ValueSignature } from './signature.js';

export type Session = ort.InferenceSession;
export type Tensor = ort.Tensor;
export type TensorType = ort.Tensor.Type;
export type Feeds = Record<string, ort.Tensor>;

export function tensor(type: 'float32', data: Float32Array, dims: readonly number[]): ort.Tensor;
export function tensor(type: 'float64', data: Float64Array, dims: readonly number[]): ort.Tensor;
export function tensor(type: 'float16', data: Uint16Array, dims: readonly number[]): ort.Tensor;
export function tensor(type: 'int32', data: Int32Array, dims: readonly number[]): ort.Tensor;
export function tensor(type: 'int64', data: BigInt64Array, dims: readonly number[]): ort.Tensor;
export function tensor(type: 'bool', data: Uint8Array, dims: readonly number[]): ort.Tensor;
export function tensor(type: ort.Tensor.Type, data: ort.Tensor.DataType, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(type, data as never, dims);
}
