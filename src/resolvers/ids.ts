// Ids are opaque to clients. An id the server assigns is a bigint identity in
// decimal; any other string names nothing, so the caller gets NOT_FOUND (or
// null, where the contract says so), never BAD_USER_INPUT: an id's shape is
// not the client's business.

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** The id in canonical form when it could name a row of a bigint identity; null when it cannot. */
export function parseSerialId(id: string): string | null {
  if (!/^[1-9][0-9]{0,18}$/.test(id) || BigInt(id) > MAX_BIGINT) return null;
  return id;
}

/** Whether a client-chosen text id (jobs, schedules) could be stored at all: PostgreSQL text holds no NUL. */
export function storableText(id: string): boolean {
  return !id.includes('\u0000');
}
