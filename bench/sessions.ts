/**
 * Sessions as the service opens them. The thread count is the service's own setting (cores split
 * between workers, `BACKSERV_INTRA_OP_THREADS`), not ONNX Runtime's default (0): on 2-vCPU VMs
 * that reported one thread per core ORT's default used one thread, so bench figures measured half
 * the machine the service uses (x4fast at 512²: 13,500 ms/MP with 0, 8,300 with 2, same run).
 */
import { loadConfig } from '../src/config/config.js';
import { SessionCache, chooseDevice, parseDeviceSetting } from '../src/runtime/index.js';

export function benchSessions(): SessionCache {
  const device = chooseDevice(parseDeviceSetting(process.env.BACKSERV_DEVICE));
  return new SessionCache({ device, intraOpThreads: loadConfig(process.env).intraOpThreads });
}
