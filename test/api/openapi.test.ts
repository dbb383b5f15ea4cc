import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './fixture.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

const CONTRACT_ROUTES = [
  'post /api/v2/auth/login',
  'get /api/v2/users/me',
  'put /api/v2/users/{userId}/presence',
  'put /api/v2/users/{userId}/routingstatus',
  'get /api/v2/routing/queues',
  'get /api/v2/routing/queues/{queueId}/members',
  'get /api/v2/conversations/calls',
  'post /api/v2/conversations/calls',
  'get /api/v2/conversations/calls/{conversationId}',
  'patch /api/v2/conversations/calls/{conversationId}/participants/{participantId}',
  'post /api/v2/conversations/calls/{conversationId}/participants/{participantId}/replace',
  'post /api/v2/conversations/calls/{conversationId}/participants/{participantId}/consult',
  'patch /api/v2/conversations/calls/{conversationId}/participants/{participantId}/consult',
  'post /api/v2/conversations/calls/{conversationId}/participants/{participantId}/monitor',
  'post /api/v2/conversations/calls/{conversationId}/participants/{participantId}/coach',
  'get /api/v2/conversations/{conversationId}/timeline',
  'get /api/v2/audit/supervision',
  'post /api/v2/admin/provisioning',
  'get /api/v2/users/me/phone/credentials',
  'get /api/v2/users',
  'get /api/v2/authorization/roles',
  'get /api/v2/telephony/phones',
  'get /api/v2/telephony/trunks',
];

describe('GET /api/v2/openapi.json', () => {
  it('is a valid OpenAPI document covering every API route with request and response schemas', async () => {
    const r = await h.app.inject({ url: '/api/v2/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
    }>();
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(documented.sort()).toEqual([...CONTRACT_ROUTES].sort());
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops)) {
        expect(Object.keys(op.responses).length, `${m} ${path}`).toBeGreaterThan(1);
        if (m !== 'get') expect(op.requestBody, `${m} ${path} request body`).toBeDefined();
      }
    }
  });
});
