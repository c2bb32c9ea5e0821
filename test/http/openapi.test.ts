import { describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import type express from 'express';
import request from 'supertest';
import { SqliteCaseStore } from '../../src/followup/index.js';
import { sqliteTriggerUnits } from '../../src/triggers/index.js';
import { createHttpApp, mountApi } from '../../src/http/index.js';
import { apiDocument } from '../../src/http/openapi.js';
import { REPORT_FORMATS } from '../../src/reports/index.js';
import { webhookHarness } from '../support/dialer.js';
import { REPORT_TARIFF, seedClient, clientStores } from '../support/reports.js';
import { sqliteCommentStores } from '../../src/comments/index.js';

/** The server as `serve` builds it: the webhooks, the client API and the pointers to its document. */
async function setup() {
  const h = webhookHarness();
  const acme = await seedClient(h.database, h.clock, 'Acme');
  const app = createHttpApp({
    logger: h.deps.logger,
    webhooks: h.deps,
    extra: mountApi({ ...clientStores(h.database), triggers: sqliteTriggerUnits(h.database), cases: new SqliteCaseStore(h.database), commentStores: sqliteCommentStores(h.database), clock: h.clock, logger: h.deps.logger, config: { defaultTariff: REPORT_TARIFF, recordingsDir: h.recordingsDir }, linkSecret: undefined }),
  });
  return { app, acme };
}

interface Layer {
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** Every route the express app answers, as "METHOD /path/{param}", read from its router stacks. */
function expressRoutes(app: express.Express): string[] {
  const routes: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const paths = (p: string | string[] | undefined) => (Array.isArray(p) ? p : [p ?? '']);
      if (layer.route) {
        for (const path of paths(layer.route.path)) {
          for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
            const full = `${prefix}${path}`.replace(/\/$/, '') || '/';
            routes.push(`${method.toUpperCase()} ${full.replace(/:(\w+)/g, '{$1}')}`);
          }
        }
      } else if (layer.handle.stack) {
        for (const path of paths(layer.rawPath)) walk(layer.handle.stack, `${prefix}${path === '/' ? '' : path}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return routes.sort();
}

const documentedRoutes = () =>
  Object.entries(apiDocument().paths ?? {})
    .flatMap(([path, item]) => Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();

describe('the OpenAPI document', () => {
  it('documents every route of the express app, and no route the app does not have', async () => {
    const { app } = await setup();
    const routes = expressRoutes(app);
    // The walk must see the whole app, or the comparison proves nothing.
    expect(routes).toEqual(expect.arrayContaining(['GET /healthz', 'POST /api/v1/surveys', 'PATCH /api/v1/cases/{id}', 'POST /webhooks/event/{ref}']));
    expect(documentedRoutes()).toEqual(routes);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(apiDocument()) as unknown as Record<string, unknown>);
    expect(result).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');
  });

  it('is generated from the schemas the routes validate with', () => {
    const document = apiDocument();
    const schemas = document.components!.schemas as Record<string, { required?: string[]; additionalProperties?: unknown; properties?: Record<string, unknown> }>;
    expect(schemas.SurveyRequest).toMatchObject({ required: ['phone', 'listId', 'agent'], additionalProperties: false });
    expect(Object.keys(schemas.SurveyRequest!.properties!)).toEqual(['phone', 'listId', 'agent', 'attributes', 'notBefore', 'language', 'timezone']);
    expect(schemas.CasePatch).toMatchObject({ additionalProperties: false, properties: { status: { enum: ['open', 'contacted', 'resolved'] } } });
    const report = document.paths!['/api/v1/lists/{id}/report']!.get!;
    expect(report.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'id', in: 'path', required: true, schema: expect.objectContaining({ type: 'string', pattern: '^[1-9]\\d{0,15}$' }) }),
        expect.objectContaining({ name: 'format', in: 'query', schema: expect.objectContaining({ enum: [...REPORT_FORMATS], default: 'json' }) }),
      ]),
    );
    expect(document.paths!['/api/v1/lists']!.get!.security).toBeUndefined();
    expect(document.security).toEqual([{ apiKey: [] }]);
    expect(document.paths!['/api/v1/links/{token}']!.get!.security).toEqual([]);
  });

  it('is served without credentials', async () => {
    const { app } = await setup();
    for (const path of ['/api/v1/openapi.json', '/openapi.json']) {
      const res = await request(app).get(path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body).toEqual(JSON.parse(JSON.stringify(apiDocument())));
    }
  });

  it('is pointed to from /, /api, /docs and /api/v1', async () => {
    const { app } = await setup();
    for (const path of ['/', '/api', '/docs', '/api/v1']) {
      const res = await request(app).get(path);
      expect(res.status).toBe(200);
      expect(res.headers.link).toBe('</api/v1/openapi.json>; rel="service-desc"');
      expect(res.body).toEqual({ name: 'nps-dialer client API', openapi: '/api/v1/openapi.json', documentation: 'docs/api.md', health: '/healthz' });
    }
    // Everything else still needs a key, and an unknown route outside the API is still a 404.
    expect((await request(app).get('/api/v1/lists')).status).toBe(401);
    expect((await request(app).get('/nothing-here')).status).toBe(404);
  });
});
