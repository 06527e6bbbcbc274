/**
 * Composition root. `npm start` (role `start`): the embedded server (API + pool + SQLite), or
 * with BACKSERV_REDIS_URL set, API + worker over Redis in one process. `serve` / `worker`:
 * the scale-out roles (`npx backserv serve|worker`).
 */
import { loadConfig, type Config } from './config/config.js';
import { createLogger } from './infra/logging.js';
import { startScaleOutNode } from './scale-out/node.js';
import { startService } from './service.js';

type Command = 'start' | 'serve' | 'worker';

async function start(command: Command, config: Config, log: ReturnType<typeof createLogger>): Promise<{ close(): Promise<void> }> {
  if (!config.redisUrl) {
    if (command !== 'start') throw new Error(`"${command}" is a scale-out role: set BACKSERV_REDIS_URL (e.g. redis://127.0.0.1:6379)`);
    return startService(config, log);
  }
  return startScaleOutNode(config, log, command === 'start' ? 'all' : command);
}

async function main(): Promise<void> {
  const command = (process.argv[2] ?? 'start') as Command;
  if (!['start', 'serve', 'worker'].includes(command)) {
    console.error(`backserv: unknown command "${command}" (start, serve, worker)`);
    process.exit(2);
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(`backserv: ${(err as Error).message}`);
    process.exit(2);
  }
  const log = createLogger().child({ serv_name: config.servName, role: command });
  const node = await start(command, config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: no new claims; running tasks get BACKSERV_DRAIN_TIMEOUT_MS to finish, the rest are re-queued');
    node.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`backserv: failed to start: ${(err as Error).message}`);
  process.exit(1);
});
