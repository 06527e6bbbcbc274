/**
 * One worker host child process as the API process sees it: forks it (through tsx when running
 * from sources), hands it its pool settings, and turns its IPC messages and its exit into calls on
 * `events`. Supervision (what a crash or an exit means, when to restart) is the pool's (host-pool.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../infra/logging.js';
import type { PoolOptions } from '../pool.js';
import type { FromHost, HostInit, ToHost } from './protocol.js';

export interface HostProcessEvents {
  message(msg: FromHost): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
}

function hostEntry(): { file: string; execArgv: string[] } {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'host-main.js');
  return existsSync(js) ? { file: js, execArgv: [] } : { file: join(here, 'host-main.ts'), execArgv: ['--import', 'tsx'] };
}

export class HostProcess {
  private readonly child: ChildProcess;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;

  /** `settings`: the host's priority and memory reporting (see HostInit). */
  constructor(options: PoolOptions, events: HostProcessEvents, log: Logger, settings: Omit<HostInit, 'type' | 'options'> = {}) {
    const { file, execArgv } = hostEntry();
    const child = fork(file, [], { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (msg: FromHost) => events.message(msg));
    child.on('error', (err) => log.error({ err: err.message }, 'worker host error'));
    child.once('exit', (code, signal) => events.exit(code, signal));
    this.post({ type: 'init', options, ...settings });
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  post(msg: ToHost): void {
    // A host that just died cannot take the message; its exit handler settles what it held.
    if (this.child.connected) this.child.send(msg);
  }

  /** Asks the host to close (it stops what runs, then exits); SIGKILL if it has not within `ms`. */
  async close(ms: number): Promise<void> {
    if (!this.alive) return;
    this.post({ type: 'close' });
    const killer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    await this.exited;
    clearTimeout(killer);
  }
}
