/** BACKSERV_DEVICE: which execution provider an operator asks for (runtime/device.ts decides what `auto` means). */
export type DeviceName = 'cpu' | 'cuda' | 'tensorrt' | 'webgpu';
export type DeviceSetting = DeviceName | 'auto';

export function parseDeviceSetting(value: string | undefined): DeviceSetting {
  const v = (value ?? 'auto').trim().toLowerCase();
  if (v === 'auto' || v === 'cpu' || v === 'cuda' || v === 'tensorrt' || v === 'webgpu') return v;
  throw new TypeError(`BACKSERV_DEVICE must be one of auto, cpu, cuda, tensorrt, webgpu (got "${value}")`);
}
