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

/** The form of the ids clients choose (jobs, schedules); a create with any other is BAD_USER_INPUT. */
export const TEXT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Whether a job or schedule could have this id; one that could not is simply not there. */
export function couldBeTextId(id: string): boolean {
  return TEXT_ID.test(id);
}
