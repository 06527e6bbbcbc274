// Builds the Rust kernels addon (native/) and copies it to native/backserv_native.node.
// Never fails the install: without cargo, or if the build fails, it prints one warning
// and exits 0, and src/native/ falls back to the TypeScript kernels.
// BACKSERV_NATIVE=0 skips the build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const crate = join(root, 'native');
const built = join(crate, 'target', 'release', 'libbackserv_native.so');
const target = join(crate, 'backserv_native.node');
const log = join(crate, 'target', 'build-native.log');

function warn(why) {
  console.warn(`backserv: native kernels not built (${why}); using the TypeScript fallback`);
  process.exit(0);
}

if (process.env.BACKSERV_NATIVE === '0') {
  console.log('backserv: BACKSERV_NATIVE=0, native kernels not built');
  process.exit(0);
}
if (process.platform !== 'linux') warn(`platform ${process.platform} is not supported by the build script`);
const probe = spawnSync('cargo', ['--version'], { stdio: 'ignore' });
if (probe.error || probe.status !== 0) warn('cargo not found on PATH');

// Cargo's output goes to a log, so an install shows one line either way.
const build = spawnSync('cargo', ['build', '--release', '--offline'], { cwd: crate, encoding: 'utf8' });
mkdirSync(dirname(log), { recursive: true });
writeFileSync(log, `${build.stdout ?? ''}${build.stderr ?? ''}`);
if (build.error || build.status !== 0) {
  // A stale addon from an older checkout could disagree with the TypeScript side.
  rmSync(target, { force: true });
  warn(`cargo build failed with status ${build.status ?? build.error?.message}, see ${log}`);
}
if (!existsSync(built)) warn(`${built} is missing after the build`);
try {
  copyFileSync(built, target);
} catch (err) {
  warn(`could not copy the library: ${err instanceof Error ? err.message : String(err)}`);
}
console.log(`backserv: native kernels built → ${target}`);
