import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, harness } from './fixture.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

async function available(user: string) {
  const r = await h.app.inject({
    method: 'PUT',
    url: `/api/v2/users/${await h.userId(user)}/presence`,
    headers: { authorization: `Bearer ${await h.token(user)}` },
    payload: { presence: 'AVAILABLE' },
  });
  expect(r.statusCode).toBe(200);
}

/** CONTRACT.md §4 shows `POST …/monitor|coach` with no body: every way of sending none is accepted. */
describe('POST …/monitor and …/coach without a body', () => {
  const variants: [string, Record<string, string>, string | undefined][] = [
    ['no body, no Content-Type', {}, undefined],
    ['empty body with Content-Type: application/json', { 'content-type': 'application/json' }, ''],
    ['empty object', { 'content-type': 'application/json' }, '{}'],
    ['{"reason"}', { 'content-type': 'application/json' }, '{"reason":"quality"}'],
  ];
  for (const mode of ['monitor', 'coach'] as const) {
    for (const [label, headers, payload] of variants) {
      it(`${mode}: ${label} → 201`, async () => {
        const c = await h.activeCall('5000', 'alice');
        await available('sam');
        const r = await h.app.inject({
          method: 'POST',
          url: `/api/v2/conversations/calls/${c.conversationId}/participants/${c.agentId}/${mode}`,
          headers: { authorization: `Bearer ${await h.token('sam')}`, ...headers },
          ...(payload === undefined ? {} : { payload }),
        });
        expect(r.statusCode, r.body).toBe(201);
        expect(r.json()).toMatchObject({ state: 'alerting' });
      });
    }
  }

  it('still refuses a body that is not an object or has unknown fields (VALIDATION_FAILED)', async () => {
    const c = await h.activeCall('5000', 'alice');
    await available('sam');
    for (const payload of ['[]', '"x"', '{"reason":1}', '{"other":true}', '{bad']) {
      const r = await h.app.inject({
        method: 'POST',
        url: `/api/v2/conversations/calls/${c.conversationId}/participants/${c.agentId}/monitor`,
        headers: { authorization: `Bearer ${await h.token('sam')}`, 'content-type': 'application/json' },
        payload,
      });
      expect(r.statusCode, payload).toBe(400);
      expect(r.json().error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('routes that need a body still answer VALIDATION_FAILED to an empty one', async () => {
    const c = await h.activeCall('5000', 'alice');
    const auth = { authorization: `Bearer ${await h.token('alice')}`, 'content-type': 'application/json' };
    const base = `/api/v2/conversations/calls/${c.conversationId}/participants/${c.customerId}`;
    for (const [method, url] of [
      ['PATCH', base],
      ['POST', `${base}/replace`],
      ['POST', `${base}/consult`],
      ['PUT', `/api/v2/users/${await h.userId('alice')}/presence`],
    ] as const) {
      for (const payload of [undefined, '']) {
        const r = await h.app.inject({
          method,
          url,
          headers: payload === undefined ? { authorization: auth.authorization } : auth,
          ...(payload === undefined ? {} : { payload }),
        });
        expect(r.statusCode, `${method} ${url} ${JSON.stringify(payload)}`).toBe(400);
        expect(r.json().error.code).toBe('VALIDATION_FAILED');
      }
    }
  });

  it('the OpenAPI document marks their request body optional', async () => {
    const doc = (await h.app.inject({ url: '/api/v2/openapi.json' })).json();
    for (const mode of ['monitor', 'coach']) {
      const op =
        doc.paths[`/api/v2/conversations/calls/{conversationId}/participants/{participantId}/${mode}`].post;
      expect(op.requestBody.required).toBe(false);
    }
    const patch =
      doc.paths['/api/v2/conversations/calls/{conversationId}/participants/{participantId}'].patch;
    expect(patch.requestBody.required).toBe(true);
  });
});
