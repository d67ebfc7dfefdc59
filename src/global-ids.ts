// Global object ids (GraphQL Global Object Identification, what Relay's store
// keys records by): every object's `id` is unique across the whole API, and
// its `rowId` is the key within its type that `id` used to be. The encoding is
// the one of Pothos' relay plugin and graphql-relay's toGlobalId: base64 of
// `<TypeName>:<rowId>` (docs/frontend.md says why). Clients treat it as opaque.

/**
 * The types whose `id` is a global id: all but KillSignal, whose id stays the increasing sequence
 * number the contract promises agents (src/schema/kill.ts), and is unique anyway: no global id starts
 * with a digit.
 */
export const GLOBAL_ID_TYPES = [
  'AuditEntry',
  'Dashboard',
  'Execution',
  'FailureCount',
  'FailureSeries',
  'Job',
  'JobLiveCounts',
  'Notification',
  'OrchestratorEvent',
  'Scan',
  'ScanStats',
  'Schedule',
  'Viewer',
] as const;
export type GlobalIdType = (typeof GLOBAL_ID_TYPES)[number];

const KNOWN = new Set<string>(GLOBAL_ID_TYPES);
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const encode = (type: string, rowId: string) => Buffer.from(`${type}:${rowId}`, 'utf8').toString('base64');

// Query.jobs gives 1 000 jobs two ids each (Job, JobLiveCounts), on every request: encoding them
// anew doubled its CPU time (bench/execute.ts), a map lookup does not. Bounded: emptied when full.
const MAX_CACHED = 20_000;
const cached = new Map<string, Map<string, string>>();

export function globalId(type: GlobalIdType, rowId: string): string {
  let ids = cached.get(type);
  if (ids === undefined) cached.set(type, (ids = new Map()));
  let id = ids.get(rowId);
  if (id === undefined) {
    if (ids.size >= MAX_CACHED) ids.clear();
    ids.set(rowId, (id = encode(type, rowId)));
  }
  return id;
}

/**
 * The type and row id a global id names; null for any other string. Only the
 * canonical spelling counts (the one globalId gives), so one object has one id:
 * a variant padding, stray bits or bytes that are not UTF-8 name nothing.
 */
export function parseGlobalId(value: string): { type: GlobalIdType; rowId: string } | null {
  if (value.length < 4 || value.length % 4 !== 0 || !BASE64.test(value)) return null;
  const text = Buffer.from(value, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 1 || colon === text.length - 1) return null;
  const type = text.slice(0, colon);
  if (!KNOWN.has(type)) return null;
  const rowId = text.slice(colon + 1);
  if (encode(type, rowId) !== value) return null;
  return { type: type as GlobalIdType, rowId };
}

/**
 * What an argument that takes an id of `type` means: the row id of a global id
 * of that type, and any other string as it is, since every such argument keeps
 * taking the row ids that clients held before ids became global. A global id of
 * another type is thus an id no row has (NOT_FOUND, or null, as for any unknown id).
 */
export function rowIdOf(type: GlobalIdType, value: string | number): string {
  const text = String(value);
  const parsed = parseGlobalId(text);
  return parsed !== null && parsed.type === type ? parsed.rowId : text;
}

/** Whether a string is some object's global id: a job or schedule may not be named like one, or its row id would be ambiguous. */
export function isGlobalId(value: string): boolean {
  return parseGlobalId(value) !== null;
}
