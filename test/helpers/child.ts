/** Runs `src/main.ts <command>` in a child process and collects its JSON log lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

export interface Child {
  proc: ChildProcess;
  /** HTTP address (serve / start roles), once listening. */
  url: string | null;
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** Resolves when the node is up: listening (HTTP roles) or "worker node ready". */
export function startNode(command: 'start' | 'serve' | 'worker', env: Record<string, string>): Promise<Child> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', command], {
      cwd: ROOT,
      env: { ...process.env, ...env, BACKSERV_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child: Child = { proc, url: null, logs: [], exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
    let buf = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${err}${buf}`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          child.logs.push(entry);
          const msg = String(entry.msg ?? '');
          if (msg.startsWith('listening')) child.url = `http://127.0.0.1:${entry.port as number}`;
          if ((command === 'worker' && msg === 'worker node ready') || (command !== 'worker' && child.url)) {
            clearTimeout(timer);
            resolve(child);
          }
        } catch {
          // not a log line
        }
      }
    });
    proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    proc.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${err}`)));
  });
}

export async function kill9(child: Child): Promise<void> {
  child.proc.kill('SIGKILL');
  await child.exited;
}
