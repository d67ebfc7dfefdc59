// PostGraphile v5 for bench/run.ts, set up the way its documentation shows a
// user: library mode, the Amber preset, grafserv on node:http, schema bench_pg
// (schema.sql beside this file), GraphiQL, watch mode and explain off, a pg pool
// as large as opsgraph's. The caller's token is checked in grafast's context
// callback, as the PostGraphile docs advise: the same HS256 bearer token
// opsgraph checks, which must carry the viewer role. No pgSettings are set (the
// badges need no row-level security), so PostGraphile runs each query without
// wrapping it in a transaction: the cheapest way it offers.
//
// Runs on Node 22 (PostGraphile 5 needs it), from this folder's own
// node_modules: DATABASE_URL, JWT_SECRET, PORT.
import { createServer } from 'node:http';
import jwt from 'jsonwebtoken';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

const ROLES = ['viewer', 'operator', 'admin', 'superadmin'];

function verifyViewer(authorization) {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) throw Object.assign(new Error('A bearer token is required'), { statusCode: 401 });
  const claims = jwt.verify(match[1], process.env.JWT_SECRET, { algorithms: ['HS256'] });
  const roles = Array.isArray(claims.roles) ? claims.roles : [];
  if (typeof claims.sub !== 'string' || !roles.some((role) => ROLES.includes(role))) {
    throw Object.assign(new Error('The token must carry a sub and a role'), { statusCode: 403 });
  }
  return { sub: claims.sub, roles };
}

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ['bench_pg'],
      poolConfig: { max: Number(process.env.DATABASE_POOL_MAX ?? 10) },
      pubsub: false,
    }),
  ],
  grafserv: { graphiql: false, watch: false },
  grafast: {
    explain: false,
    context: (requestContext) => ({ user: verifyViewer(requestContext.node?.req?.headers?.authorization) }),
  },
};

const pgl = postgraphile(preset);
await pgl.getSchema(); // build the schema before the first request, as a deployed server would have
const serv = pgl.createServ(grafserv);
const server = createServer();
await serv.addTo(server, false);
server.listen(Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => {
  server.close(() => void Promise.resolve(pgl.release()).then(() => process.exit(0)));
  server.closeAllConnections();
});
