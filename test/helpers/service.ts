/** Starts the real embedded service on an ephemeral port with a temp data dir and the test models. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/infra/logging.js';
import { startService, type RunningService, type ServiceOptions } from '../../src/service.js';

export interface TestService extends RunningService {
  dataDir: string;
}

export function testEnv(over: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    BACKSERV_DATA_DIR: mkdtempSync(join(tmpdir(), 'backserv-data-')),
    BACKSERV_MODELS_DIR: inject('testModelsDir'),
    BACKSERV_URL_ALLOWLIST: '127.0.0.1',
    BACKSERV_WORKERS: '1',
    BACKSERV_DEVICE: 'cpu',
    BACKSERV_INTRA_OP_THREADS: '1',
    BACKSERV_SERV_NAME: 'test-node',
    ...over,
  };
}

export async function startTestService(over: Record<string, string> = {}, opts: ServiceOptions = {}): Promise<TestService> {
  const env = testEnv(over);
  const svc = await startService(loadConfig(env), silentLogger(), opts);
  return Object.assign(svc, { dataDir: env.BACKSERV_DATA_DIR });
}
