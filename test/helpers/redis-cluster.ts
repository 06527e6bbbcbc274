/**
 * A throwaway 3-primary Redis Cluster on 127.0.0.1 (redis-server + redis-cli --cluster create),
 * for the cluster tests. Each node also needs its bus port (port + 10000) free.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function pickPorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = 20_000 + Math.floor(Math.random() * 10_000);
    if (!out.includes(p) && (await portFree(p)) && (await portFree(p + 10_000))) out.push(p);
  }
  return out;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`redis cluster: ${what} timed out`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface TestCluster {
  /** Comma-separated node URLs, as BACKSERV_REDIS_URL takes them with BACKSERV_REDIS_CLUSTER=1. */
  url: string;
  stop(): Promise<void>;
}

export async function startCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'backserv-cluster-'));
  const ports = await pickPorts(3);
  const procs: ChildProcess[] = ports.map((p) => spawn('redis-server', [
    '--port', String(p), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${p}.conf`,
    '--dir', dir, '--save', '', '--appendonly', 'no',
  ], { stdio: 'ignore' }));
  const stop = async () => {
    for (const proc of procs) {
      if (proc.exitCode === null) {
        proc.kill('SIGKILL');
        await new Promise((r) => proc.once('exit', r));
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const p of ports) await until(async () => (await run('redis-cli', ['-p', String(p), 'ping'])).stdout.trim() === 'PONG', `node ${p}`);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const p of ports) await until(async () => (await run('redis-cli', ['-p', String(p), 'cluster', 'info'])).stdout.includes('cluster_state:ok'), `cluster state on ${p}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: ports.map((p) => `redis://127.0.0.1:${p}`).join(','), stop };
}
