/**
 * GET /events/models/:id — Server-Sent Events for one model's install (admin key required).
 * `state` events carry the InstallState (src/models/install/install-state.ts): the current one
 * first, then every change (file, bytes received, percent). When the install ends (installed or
 * failed), or when none is running at connect, the last state has `id: done` and the stream closes.
 */
import type { Context } from 'koa';
import { notFound } from '../../tasks/errors.js';
import { openEventStream } from './sse-stream.js';
import { isFinal, type InstallState } from '../../models/install/install-state.js';
import type { ModelInstaller } from '../../models/install/model-installer.js';
import type { AdminKeys } from '../admin-keys.js';

export interface ModelEventsDeps {
  installer: ModelInstaller;
  admin: AdminKeys;
  heartbeatMs: number;
}

export function modelEventsHandler(deps: ModelEventsDeps) {
  return (ctx: Context): void => {
    deps.admin.requireAdmin(ctx);
    const id = String(ctx.params.id);
    if (!deps.installer.registry.manifest.models.some((m) => m.id === id)) throw notFound(`No model ${id} in the manifest.`);

    const stream = openEventStream(ctx);

    let seq = 0;
    let closed = false;
    const finish = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      deps.installer.off('state', onState);
      stream.end();
    };
    const send = (state: InstallState) => {
      if (closed) return;
      const final = isFinal(state);
      stream.write(`id: ${final ? 'done' : ++seq}\nevent: state\ndata: ${JSON.stringify(state)}\n\n`);
      if (final) finish();
    };
    const onState = (state: InstallState) => {
      if (state.id === id) send(state);
    };
    const heartbeat = setInterval(() => {
      if (!closed) stream.write(': ping\n\n');
    }, deps.heartbeatMs);
    // Subscribe before reading the current state so no change in between is lost.
    deps.installer.on('state', onState);
    ctx.res.on('close', finish);
    stream.on('close', finish);
    stream.write('retry: 2000\n\n');
    send(deps.installer.state(id));
  };
}
