// npm run token -- --role admin --sub alice [--ttl 1h]
import { parseArgs } from 'node:util';
import { loadOrCreateDevSecret } from '../src/auth/dev-secret.js';
import { ROLES, type Role } from '../src/auth/roles.js';
import { signToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { formatDuration, parseDuration } from '../src/duration.js';

function fail(message: string): never {
  console.error(`token: ${message}`);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'viewer' },
    sub: { type: 'string', default: 'dev' },
    ttl: { type: 'string', default: '12h' },
  },
});
const role = values.role.toUpperCase() as Role;
if (!ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ').toLowerCase()}`);
const ttlMs = parseDuration(values.ttl);
if (!ttlMs || ttlMs < 1000) fail('--ttl must be a duration like 30m, 12h or 7d');
if (values.sub === '') fail('--sub must not be empty');

const config = loadConfig();
if (config.jwt.jwksUrl) fail('JWT_JWKS_URL is set: tokens come from your identity provider, not from here');
if (ttlMs > config.jwt.maxLifetimeMs) fail(`--ttl must not exceed JWT_MAX_LIFETIME (${values.ttl} > ${formatDuration(config.jwt.maxLifetimeMs)}): the server would refuse the token`);
const secret = config.jwt.secret ?? (await loadOrCreateDevSecret(config.dataDir));
console.log(await signToken(secret, values.sub, role, Math.floor(ttlMs / 1000)));
