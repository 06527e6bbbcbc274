import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowlist } from '../../src/infra/net/address-policy.js';
import { InvalidImageError } from '../../src/tasks/invalid-image-error.js';
import { fetchImageBytes } from '../../src/imaging/fetch-image.js';

// Pinning the address must not break TLS: the handshake still names the URL's host (SNI), and
// the certificate is still verified against it. A self-signed certificate shows both: the
// server records the SNI name, and the client refuses the certificate.
let hasOpenssl = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  hasOpenssl = false;
}

describe.skipIf(!hasOpenssl)('fetchImageBytes over https with a pinned address', () => {
  const names: string[] = [];
  let server: https.Server;
  let port = 0;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'backserv-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
      '-subj', '/CN=images.example', '-addext', 'subjectAltName=DNS:images.example'], { stdio: 'ignore' });
    server = https.createServer({
      key: readFileSync(join(dir, 'key.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
      SNICallback: (name, cb) => {
        names.push(name);
        cb(null);
      },
    }, (_req, res) => res.end('x'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the URL host as SNI to the checked address and still verifies the certificate', async () => {
    const err = await fetchImageBytes(`https://images.example:${port}/a.png`, {
      maxBytes: 1000,
      timeoutMs: 5000,
      maxRedirects: 3,
      allowlist: parseAllowlist('127.0.0.1'),
      field: 'target_image',
      resolver: async () => [{ address: '127.0.0.1', family: 4 }],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidImageError);
    // 127.0.0.1 is admitted by the allowlist only, so the failure says nothing specific...
    expect((err as Error).message).toBe(`target_image: could not fetch an image from images.example:${port}`);
    // ...while the cause shows it was the certificate check that refused the connection.
    expect(String(((err as Error).cause as { code?: string })?.code)).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(names).toEqual(['images.example']);
  });
});
