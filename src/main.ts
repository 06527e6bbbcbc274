/** Composition root for `npm start`: the embedded server (API + pool + SQLite) on PORT. */
import { loadConfig } from './config.js';
import { createLogger } from './logging.js';
import { startService } from './service.js';

async function main(): Promise<void> {
  const log = createLogger();
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(`backserv: ${(err as Error).message}`);
    process.exit(2);
  }
  const service = await startService(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down; running tasks will be re-queued on the next start');
    service.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`backserv: failed to start: ${(err as Error).message}`);
  process.exit(1);
});
