// THREAT: reading the schema with introspection off. graphql-js answers a near
// miss with "Did you mean …", and graphql-armor's blockFieldSuggestion removed
// only field suggestions from validation errors: enum values ("Did you mean the
// enum value "DEAD" or "READ"?") and input fields ("Did you mean "scanType"?")
// still leaked, in validation and in variable coercion.
// DEFENCE: with introspection off, every "Did you mean …" is removed from every
// error, in validation, variable coercion and results, over HTTP, SSE and
// graphql-ws (src/yoga/no-suggestions.ts).
// SETTING: GRAPHQL_INTROSPECTION=off (suggestions stay when it is on, the default).
import { describe, expect, it } from 'vitest';
import { token, useTestApp, type GqlResult } from '../helpers.js';
import { connectAs } from './raw-ws.js';

// graphql-js coerces variables on an operation's first run (GRAPHQL_JIT_AFTER=1, the default); its
// messages carry the suggestions, so both servers use it throughout.
const closed = useTestApp({ GRAPHQL_INTROSPECTION: 'off', GRAPHQL_JIT_AFTER: 'off' });
const open = useTestApp({ GRAPHQL_JIT_AFTER: 'off' });

const probes: [string, string, Record<string, unknown>][] = [
  ['a field', '{ notifcations { totalCount } }', {}],
  ['an argument', '{ notifications(stats: DEAD) { totalCount } }', {}],
  ['an enum literal', '{ notifications(status: DEDA) { totalCount } }', {}],
  ['an enum variable', 'query($s: NotificationStatus) { notifications(status: $s) { totalCount } }', { s: 'DEDA' }],
  ['an input field literal', 'mutation { recordScan(input: { scanTyp: "x", subjectId: "y" }) { id } }', {}],
  ['an input field variable', 'mutation($i: RecordScanInput!) { recordScan(input: $i) { id } }', { i: { scanTyp: 'x', subjectId: 'y' } }],
  ['a type', 'query($s: NotificationStatu) { notifications(status: $s) { totalCount } }', {}],
];

const messages = (result: GqlResult) => (result.errors ?? []).map((error) => error.message).join('\n');

describe('schema hints with introspection off', () => {
  it('are present with introspection on (what an attacker would read)', async () => {
    for (const [what, query, variables] of probes) {
      expect(messages(await open.gql(query, variables, 'OPERATOR')), what).toMatch(/Did you mean/);
    }
  });

  it('are gone from every error over HTTP, and the errors still say what is wrong', async () => {
    for (const [what, query, variables] of probes) {
      const result = await closed.gql(query, variables, 'OPERATOR');
      expect(result.errors?.length, what).toBeGreaterThan(0);
      // (A required input field that is missing is still named: that is the error itself, not a hint.)
      expect(messages(result), what).not.toMatch(/Did you mean|Suggestion|"DEAD"|"READ"|"notifications"|"status"/);
    }
  });

  it('are gone over graphql-ws too', async () => {
    const socket = await connectAs(closed.wsUrl, await token('VIEWER'));
    try {
      probes.forEach(([, query, variables], i) => socket.send({ id: String(i), type: 'subscribe', payload: { query, variables } }));
      for (let i = 0; i < probes.length; i++) {
        const answer = await socket.message((m) => m.id === String(i) && (m.type === 'error' || m.type === 'next'));
        expect(JSON.stringify(answer.payload), probes[i]![0]).not.toMatch(/Did you mean/);
      }
      socket.send({ id: 'live', type: 'subscribe', payload: { query: 'subscription($k: OrchestratorKind) { failureCount(since: "1h", kind: $k) { count } }', variables: { k: 'TRAFIC' } } });
      const live = await socket.message((m) => m.id === 'live' && m.type !== 'complete');
      expect(JSON.stringify(live.payload)).toMatch(/TRAFIC/);
      expect(JSON.stringify(live.payload)).not.toMatch(/Did you mean/);
    } finally {
      socket.ws.close();
    }
  });
});
