/**
 * The OpenAPI document: valid 3.1 according to a real validator, generated from the schemas
 * the server validates with (same accept/reject decisions), and describing real responses.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../src/api/openapi.js';
import { RequestValidator } from '../../src/api/validate.js';
import { ApiError } from '../../src/tasks/errors.js';
import { getJson, submit, waitFor } from '../helpers/http.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { readFileSync } from 'node:fs';
import { FIXTURES } from '../helpers/http.js';
import { join } from 'node:path';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => svc?.close());

type Doc = { components: { schemas: Record<string, unknown> }; paths: Record<string, unknown> };

/** An ajv that resolves the document's $refs, to check bodies and responses against it. */
function docAjv(doc: Doc) {
  const ajv = new Ajv({ strict: false, discriminator: true, allowUnionTypes: true });
  // ajv's discriminator does not take `mapping` (OpenAPI tools do); its oneOf order is the mapping.
  const components = structuredClone(doc.components) as { schemas: Record<string, { discriminator?: Record<string, unknown> }> };
  delete components.schemas.SubmitRequest.discriminator?.mapping;
  ajv.addSchema({ $id: 'doc', components } as object);
  return (name: string) => ajv.compile({ $ref: `doc#/components/schemas/${name}` });
}

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3.1 by @seriousme/openapi-schema-validator, served at /openapi.json', async () => {
    const { status, body } = await getJson(`${svc.url}/openapi.json`);
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const result = await new Validator().validate(body as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // And with API keys on (security requirements added).
    const withAuth = await new Validator().validate(buildOpenApi({ version: '1', authRequired: true }) as never);
    expect(withAuth.valid).toBe(true);
    const paths = Object.keys(body.paths as object);
    for (const p of ['/submit_task', '/query_task/{ticket_id}', '/cancel_task/{ticket_id}', '/events/{ticket_id}', '/metrics', '/health', '/ready']) {
      expect(paths).toContain(p);
    }
  });

  it('its SubmitRequest accepts and rejects exactly what the server validator does', () => {
    const doc = buildOpenApi({ version: '1', authRequired: false }) as unknown as Doc;
    const check = docAjv(doc)('SubmitRequest');
    const server = new RequestValidator();
    const serverAccepts = (b: unknown) => {
      try {
        server.submitBody(structuredClone(b));
        return true;
      } catch (err) {
        if (err instanceof ApiError) return false;
        throw err;
      }
    };
    const cases: unknown[] = [
      { task_type: 'image_creation', task_params: { prompt: 'a sunset' }, user_id: 'u' },
      { task_type: 'image_creation', task_params: { prompt: '' }, user_id: 'u' },
      { task_type: 'image_creation', task_params: { prompt: 'x', width: 513 }, user_id: 'u' },
      { task_type: 'image_creation', task_params: { prompt: 'x', width: 512, steps: 4, scheduler: 'euler' }, user_id: 'u' },
      { task_type: 'image_upscale', task_params: { image_url: 'https://e.com/a.png', scale_factor: 2 }, user_id: 'u' },
      { task_type: 'image_upscale', task_params: { image_url: 'ftp://e.com/a.png' }, user_id: 'u' },
      { task_type: 'image_upscale', task_params: { image_url: 'https://e.com/a.png', scale_factor: 5 }, user_id: 'u' },
      { task_type: 'image_upscale', task_params: { image_url: 'https://e.com/a.png', typo: 1 }, user_id: 'u' },
      { task_type: 'face_swap', task_params: { source_image: 'data:image/png;base64,AA', target_image: 'https://e.com/b.png' }, user_id: 'u' },
      { task_type: 'face_swap', task_params: { source_image: 'data:x' }, user_id: 'u' },
      { task_type: 'video_creation', task_params: { prompt: 'waves', duration: 2, fps: 8 }, user_id: 'u' },
      { task_type: 'video_creation', task_params: { prompt: 'waves', duration: 11 }, user_id: 'u' },
      { task_type: 'image_upscale', task_params: { image_url: 'https://e.com/a.png' }, user_id: 'u', callback_url: 'https://hooks.example/x' },
      { task_type: 'image_upscale', task_params: { image_url: 'https://e.com/a.png' }, user_id: 'u', callback_url: 'gopher://x' },
      { task_type: 'image_upscale', task_params: { image_url: 'https://e.com/a.png' }, user_id: 'has space' },
      { task_type: 'image_upscale', task_params: { image_url: 'https://e.com/a.png' } },
      { task_type: 'image_upscale', task_params: { image_url: 'https://e.com/a.png' }, user_id: 'u', extra: true },
      { task_type: 'make_coffee', task_params: {}, user_id: 'u' },
    ];
    const verdicts = cases.map((c) => [serverAccepts(c), check(structuredClone(c))]);
    for (const [server, doc] of verdicts) expect(doc).toBe(server);
    // The list exercises both outcomes.
    expect(verdicts.filter(([s]) => s).length).toBe(6);
  });

  it('describes real responses: submit, query (queued and completed) and errors match their schemas', async () => {
    const doc = (await getJson(`${svc.url}/openapi.json`)).body as unknown as Doc;
    const schema = docAjv(doc);
    const image = `data:image/png;base64,${readFileSync(join(FIXTURES, 'images', 'lowres_bryan.png')).toString('base64')}`;
    const sub = await submit(svc.url, 'image_upscale', { image_url: image, scale_factor: 2 });
    expect(sub.status).toBe(202);
    expect(schema('SubmitResponse')(sub.body)).toBe(true);
    const first = await getJson(`${svc.url}/query_task/${sub.body.ticket_id}`);
    const view = schema('TaskView');
    expect(view(first.body)).toBe(true);
    const done = await waitFor(svc.url, sub.body.ticket_id as string);
    expect(done.status).toBe('Completed');
    expect(view(done)).toBe(true);
    const missing = await getJson(`${svc.url}/query_task/nope`);
    expect(schema('Error')(missing.body)).toBe(true);
    // A wrong shape is caught, so the checks above mean something.
    expect(view({ ...done, status: 'Done' })).toBe(false);
  });

  it('/docs serves swagger-ui offline (its assets come from this server)', async () => {
    const redirect = await fetch(`${svc.url}/docs`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/docs/');
    const html = await (await fetch(`${svc.url}/docs/`)).text();
    expect(html).toContain('swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    const bundle = await fetch(`${svc.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect(Number(bundle.headers.get('content-length'))).toBeGreaterThan(500_000);
    const init = await (await fetch(`${svc.url}/docs/docs-init.js`)).text();
    expect(init).toContain("url: '/openapi.json'");
    expect((await fetch(`${svc.url}/docs/..%2Fpackage.json`)).status).toBe(404);
  });
});
