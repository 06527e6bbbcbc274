import http from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowlist } from '../../src/infra/net/address-policy.js';
import { InvalidImageError } from '../../src/tasks/invalid-image-error.js';
import { fetchImageBytes, type FetchImageOptions } from '../../src/imaging/fetch-image.js';
import { httpGetOnce } from '../../src/imaging/http-get.js';
import type { HostResolver } from '../../src/infra/net/resolve-target.js';

// Real traffic goes only to servers on 127.0.0.1; every other address in here must be refused
// before a connection is tried, which the messages (and the second server's counter) show.
const IMAGE = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7) % 256));
const seen: Array<{ url: string; host: string }> = [];
let base = '';
let port = 0;
let server: http.Server;
let trapConnections = 0;
let trap: http.Server;
let trapPort = 0;

function route(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  seen.push({ url: url.pathname + url.search, host: req.headers.host ?? '' });
  const to = url.searchParams.get('to');
  if (url.pathname === '/img') {
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': IMAGE.length }).end(IMAGE);
  } else if (url.pathname === '/big-declared') {
    res.writeHead(200, { 'content-length': 5000 }).end(Buffer.alloc(5000));
  } else if (url.pathname === '/big-chunked') {
    res.writeHead(200, { 'content-type': 'image/png' }); // no length: chunked
    for (let i = 0; i < 10; i++) res.write(Buffer.alloc(500, i));
    res.end();
  } else if (url.pathname === '/truncated') {
    res.writeHead(200, { 'content-length': 1000 });
    res.write(Buffer.alloc(100), () => res.destroy());
  } else if (url.pathname === '/slow') {
    res.writeHead(200, { 'content-length': 10 });
    res.write('12345'); // and never the rest
  } else if (url.pathname === '/redir' && to) {
    res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: to }).end();
  } else if (url.pathname.startsWith('/hop/')) {
    const left = Number(url.pathname.slice(5));
    res.writeHead(301, { location: left > 0 ? `/hop/${left - 1}` : '/img' }).end();
  } else if (url.pathname === '/no-location') {
    res.writeHead(302).end();
  } else {
    res.writeHead(Number(url.searchParams.get('status') ?? 404)).end('nope');
  }
}

beforeAll(async () => {
  server = http.createServer(route);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  trap = http.createServer((_req, res) => res.end('should never be reached'));
  trap.on('connection', () => trapConnections++);
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  trapPort = (trap.address() as AddressInfo).port;
});

afterAll(() => {
  for (const s of [server, trap]) {
    s.closeAllConnections();
    s.close();
  }
});

const opts = (over: Partial<FetchImageOptions> = {}): FetchImageOptions => ({
  maxBytes: 1000,
  timeoutMs: 2000,
  maxRedirects: 3,
  allowlist: parseAllowlist('127.0.0.1'),
  field: 'image_url',
  ...over,
});

async function refusal(ref: string, o: FetchImageOptions = opts()): Promise<InvalidImageError> {
  const err = await fetchImageBytes(ref, o).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidImageError);
  const e = err as InvalidImageError;
  expect([e.code, e.status, e.field]).toEqual(['invalid_image', 400, o.field]);
  return e;
}

describe('fetchImageBytes over http (allow-listed loopback server)', () => {
  it('returns the exact bytes of a 200 response', async () => {
    expect(await fetchImageBytes(`${base}/img`, opts())).toEqual(IMAGE);
  });

  it('refuses a body over the cap, announced or not', async () => {
    expect((await refusal(`${base}/big-declared`)).message).toBe(
      `image_url: image at 127.0.0.1:${port} is larger than the limit of 1000 bytes`,
    );
    expect((await refusal(`${base}/big-chunked`)).message).toMatch(/larger than the limit of 1000 bytes/);
  });

  it('refuses a body shorter than its Content-Length', async () => {
    expect((await refusal(`${base}/truncated`)).message).toBe(`image_url: 127.0.0.1:${port} closed the connection after 100 bytes`);
  });

  it('gives up after the overall timeout', async () => {
    const t0 = performance.now();
    const e = await refusal(`${base}/slow`, opts({ timeoutMs: 300 }));
    expect(e.message).toBe(`image_url: fetching from 127.0.0.1:${port} took longer than 300 ms`);
    // /slow never finishes: the bound shows the timeout ended it (generous for a loaded CI host).
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('passes a cancelled signal through as the abort, not as a bad image', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('task cancelled')), 100);
    await expect(fetchImageBytes(`${base}/slow`, opts({ signal: ac.signal }))).rejects.toThrow('task cancelled');
  });

  it.each([404, 500, 204])('refuses HTTP %i', async (status) => {
    const e = await refusal(`${base}/status?status=${status}`);
    // 204 is a 2xx: the port is known to serve HTTP, so the message may be specific. An error
    // status from an allow-listed (internal) address reads like any other failure there.
    if (status === 204) expect(e.message).toMatch(/sent an empty body/);
    else expect(e.message).toBe(`image_url: could not fetch an image from 127.0.0.1:${port}`);
  });

  it.each([404, 500])('names HTTP %i plainly for a public address (one hop, as the fetcher makes it)', async (status) => {
    // A public address cannot be reached from a test; the hop is given the loopback server's
    // address as a public one would be given (no `internal` mark from the policy).
    const e = await httpGetOnce(new URL(`${base}/status?status=${status}`), { address: '127.0.0.1', family: 4 }, 1000, new AbortController().signal, 'image_url')
      .then(() => null, (err: unknown) => err as Error);
    expect(e?.message).toBe(`image_url: 127.0.0.1:${port} answered HTTP ${status}; the URL must return the image itself`);
  });

  it('names a redirect without a Location plainly for a public address', async () => {
    const e = await httpGetOnce(new URL(`${base}/no-location`), { address: '127.0.0.1', family: 4 }, 1000, new AbortController().signal, 'image_url')
      .then(() => null, (err: unknown) => err as Error);
    expect(e?.message).toBe(`image_url: 127.0.0.1:${port} answered a 302 redirect without a Location`);
  });

  it('follows relative and absolute redirects up to the limit', async () => {
    expect(await fetchImageBytes(`${base}/redir?to=/img&status=307`, opts())).toEqual(IMAGE);
    expect(await fetchImageBytes(`${base}/redir?to=${encodeURIComponent(`${base}/img`)}`, opts())).toEqual(IMAGE);
    expect(await fetchImageBytes(`${base}/hop/2`, opts())).toEqual(IMAGE); // 3 redirects
  });

  it('refuses one redirect too many, after exactly maxRedirects + 1 requests', async () => {
    seen.length = 0;
    expect((await refusal(`${base}/hop/3`)).message).toBe('image_url: more than 3 redirects');
    expect(seen.map((s) => s.url)).toEqual(['/hop/3', '/hop/2', '/hop/1', '/hop/0']);
    // On an allow-listed (internal) address a redirect without a target reads like any failure.
    expect((await refusal(`${base}/no-location`)).message).toBe(`image_url: could not fetch an image from 127.0.0.1:${port}`);
  });

  // The server is allowed by NAME here, so every loopback spelling a redirect uses is refused.
  it.each([
    ['http://10.0.0.1/', 'this address is not allowed'],
    ['http://169.254.169.254/latest/meta-data/', 'this address is not allowed'],
    ['http://[::1]:9/', 'this address is not allowed'],
    ['http://[::ffff:127.0.0.1]:9/', 'this address is not allowed'],
    ['http://0x7f.1:9/', 'this address is not allowed'],
    ['http://127.0.0.1:PORT/img', 'this address is not allowed'],
    ['file:///etc/passwd', 'scheme "file" is not allowed; use http, https or a data: URI'],
    ['gopher://127.0.0.1:70/', 'scheme "gopher" is not allowed; use http, https or a data: URI'],
  ])('refuses a redirect to %s', async (to, why) => {
    const resolver: HostResolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const o = opts({ allowlist: parseAllowlist('allowed.test'), resolver });
    const target = encodeURIComponent(to.replace('PORT', String(port)));
    expect(await fetchImageBytes(`http://allowed.test:${port}/img`, o)).toEqual(IMAGE);
    seen.length = 0;
    const e = await refusal(`http://allowed.test:${port}/redir?to=${target}`, o);
    expect(e.message).toBe(`image_url: ${why}`);
    expect(seen.map((s) => s.url)).toEqual([`/redir?to=${target}`]);
  });
});

describe('fetchImageBytes refusals without an allowlist', () => {
  const bare = () => opts({ allowlist: parseAllowlist(undefined) });

  it('refuses the same loopback server and sends it nothing', async () => {
    seen.length = 0;
    expect((await refusal(`${base}/img`, bare())).message).toBe('image_url: this address is not allowed');
    expect((await refusal(`http://[::1]:${port}/img`, bare())).message).toBe('image_url: this address is not allowed');
    expect(seen).toEqual([]);
  });

  it('refuses names that resolve to loopback (real DNS: localhost)', async () => {
    const e = await refusal(`http://localhost:${port}/img`, bare());
    // Neither the address a name resolves to nor its kind reaches the caller.
    expect(e.message).toBe('image_url: host "localhost" is not allowed: its address is not one this server fetches from');
    expect(seen).toEqual([]);
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/a.png', 'gopher://example.com/', 'javascript:alert(1)', 'ws://example.com/'])(
    'refuses the scheme of %s',
    async (ref) => {
      expect((await refusal(ref, bare())).message).toMatch(/^image_url: scheme "[a-z]+" is not allowed; use http, https or a data: URI$/);
    },
  );

  it('refuses text that is not a URL', async () => {
    expect((await refusal('not a url', bare())).message).toBe('image_url: is not a valid URL; use an http(s) URL or a data: URI');
  });

  it('passes data: URIs to the data: decoder, with the same cap', async () => {
    const ref = `data:image/png;base64,${IMAGE.toString('base64')}`;
    expect(await fetchImageBytes(ref, bare())).toEqual(IMAGE);
    expect((await refusal(ref, opts({ maxBytes: 100 }))).message).toMatch(/more than the limit of 100 bytes/);
  });
});

describe('fetchImageBytes with a scripted resolver', () => {
  it('connects to the checked address: one lookup per hop, Host header kept', async () => {
    const calls: string[] = [];
    // A rebinding DNS: first answer allowed, later ones not (127.0.0.2 is outside the allowlist;
    // still loopback, so even a broken fetcher would send nothing off this machine).
    const resolver: HostResolver = async (name) => {
      calls.push(name);
      return [{ address: calls.length === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
    };
    seen.length = 0;
    const bytes = await fetchImageBytes(`http://images.example:${port}/img`, opts({ resolver }));
    expect(bytes).toEqual(IMAGE);
    expect(calls).toEqual(['images.example']);
    expect(seen).toEqual([{ url: '/img', host: `images.example:${port}` }]);
  });

  it('refuses a name if ANY of its addresses is forbidden', async () => {
    const resolver: HostResolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.1', family: 4 },
    ];
    expect((await refusal('http://mixed.example/a.png', opts({ resolver }))).message).toBe(
      'image_url: host "mixed.example" is not allowed: its address is not one this server fetches from',
    );
  });

  it('checks each redirect hop before connecting (trap server gets no connection)', async () => {
    // "allowed.test" is allow-listed by name; "trap.test" resolves to loopback too but is not.
    const resolver: HostResolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const allowlist = parseAllowlist('allowed.test');
    const to = `http://trap.test:${trapPort}/`;
    const e = await refusal(`http://allowed.test:${port}/redir?to=${encodeURIComponent(to)}`, opts({ resolver, allowlist }));
    expect(e.message).toBe('image_url: host "trap.test" is not allowed: its address is not one this server fetches from');
    expect(trapConnections).toBe(0);
  });

  it('reports a name that does not resolve', async () => {
    const resolver: HostResolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect((await refusal('http://nowhere.invalid/x.png', opts({ resolver }))).message).toBe(
      'image_url: host "nowhere.invalid" could not be resolved',
    );
  });
});

describe('fetchImageBytes on allow-listed internal hosts', () => {
  // The operator allows "inside.test" (which resolves to loopback here). A caller must not be
  // able to tell a closed port from an HTTP error there: the fetcher is not a port scanner.
  it('answers a refused port and an HTTP 404 with the same message, naming no address', async () => {
    const resolver: HostResolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const o = opts({ allowlist: parseAllowlist('inside.test'), resolver });
    const closed = await new Promise<number>((resolve) => {
      const s = createNetServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const refused = await refusal(`http://inside.test:${closed}/img`, o);
    const missing = await refusal(`http://inside.test:${port}/status/404`, o);
    expect(refused.message).toBe(`image_url: could not fetch an image from inside.test:${closed}`);
    expect(missing.message).toBe(`image_url: could not fetch an image from inside.test:${port}`);
    for (const e of [refused, missing]) expect(e.message).not.toMatch(/127\.0\.0\.1|ECONN|HTTP|\b404\b|refused/); // \b: the port number may hold "404"
  });
});

