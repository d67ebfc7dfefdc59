// An unhandled rejection in the server ends a real Node process (and every
// client with it); under vitest it would only be reported at the end of the
// run. Each test file fails here instead, naming the rejection.
import { afterAll, expect } from 'vitest';

const rejections: unknown[] = [];
const record = (reason: unknown) => rejections.push(reason);
process.on('unhandledRejection', record);

afterAll(async () => {
  // Let rejections from the file's last moments surface first.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', record);
  const seen = rejections.splice(0).map((reason) => (reason instanceof Error ? reason.stack ?? reason.message : String(reason)));
  expect(seen, 'unhandled rejections during this file').toEqual([]);
});
