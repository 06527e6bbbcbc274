/** Starts the Koa app on the configured address (see http-server.ts for limits); resolves once it listens. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { Config } from '../config/config.js';
import type { Logger } from '../infra/logging.js';
import { createHttpServer } from './http-server.js';

export interface Listening {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function listen(app: Koa, config: Config, log: Logger): Promise<Listening> {
  const server = createHttpServer(app.callback(), config.limits, log);
  server.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  log.info({ port, data_dir: config.dataDir, models_dir: config.modelsDir, workers: config.workers }, `listening on ${config.host}:${port}`);
  return {
    server,
    port,
    url: `http://${host}:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
