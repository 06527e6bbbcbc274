/**
 * Execution-provider choice from BACKSERV_DEVICE. `auto` picks CUDA when its provider
 * library is present next to the onnxruntime-node binding (the install script downloads
 * it on GPU hosts; offline installs skip it), else the CPU. The decision is returned with
 * a reason so the caller can log one clear line.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DeviceName, DeviceSetting } from '../config/device-setting.js';


export interface DeviceChoice {
  device: DeviceName;
  /** Provider names in the order onnxruntime should try them. */
  providers: readonly string[];
  reason: string;
}

const PROVIDERS: Readonly<Record<DeviceName, readonly string[]>> = Object.freeze({
  cpu: ['cpu'],
  cuda: ['cuda', 'cpu'],
  tensorrt: ['tensorrt', 'cuda', 'cpu'],
  webgpu: ['webgpu', 'cpu'],
});


/** Folder holding onnxruntime_binding.node and any provider libraries installed beside it. */
function bindingDir(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

export function cudaProviderInstalled(): boolean {
  const dir = bindingDir();
  if (!dir) return false;
  return readdirSync(dir).some((f) => f.startsWith('libonnxruntime_providers_cuda'));
}

export function chooseDevice(setting: DeviceSetting): DeviceChoice {
  if (setting !== 'auto') {
    return { device: setting, providers: PROVIDERS[setting], reason: `BACKSERV_DEVICE=${setting}` };
  }
  if (cudaProviderInstalled()) {
    return {
      device: 'cuda',
      providers: PROVIDERS.cuda,
      reason: 'auto: the CUDA execution provider library is installed beside onnxruntime-node',
    };
  }
  return {
    device: 'cpu',
    providers: PROVIDERS.cpu,
    reason: 'auto: no CUDA provider library beside onnxruntime-node (installed with ONNXRUNTIME_NODE_INSTALL=skip or no GPU host)',
  };
}
