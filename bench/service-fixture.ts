/** A real embedded service for bench parts: temp data dir, test models (or the installed ones). */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestModels } from '../test/support/make-test.js';
import { loadConfig } from '../src/config/config.js';
import { silentLogger } from '../src/infra/logging.js';
import { startService, type RunningService } from '../src/service.js';

let testModels: string | null = null;

export async function testModelsDir(): Promise<string> {
  if (testModels && existsSync(testModels)) return testModels;
  testModels = mkdtempSync(join(tmpdir(), 'backserv-bench-models-'));
  await makeTestModels(testModels, ['realesrgan-x4plus']);
  return testModels;
}

export async function startBenchService(env: Record<string, string> = {}): Promise<RunningService> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    BACKSERV_DATA_DIR: mkdtempSync(join(tmpdir(), 'backserv-bench-data-')),
    BACKSERV_MODELS_DIR: await testModelsDir(),
    BACKSERV_URL_ALLOWLIST: '127.0.0.1',
    BACKSERV_DEVICE: process.env.BACKSERV_DEVICE ?? 'auto',
    BACKSERV_MAX_QUEUED: '10000000',
    BACKSERV_MAX_QUEUED_PER_USER: '10000000',
    ...env,
  });
  return startService(config, silentLogger());
}
