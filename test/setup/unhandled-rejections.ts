// An unhandled rejection in the server ends a real Node process (and every
// client with it); under vitest it would only be reported at the end of the
// run. Each test file fails here instead, naming the rejection.
import { afterAll, expect } from 'vitest';

const rejections: unknown[] = [];
const record = (reason: unknown) => rejections.push(reason);
process.on('unhandledRejection', record);

/**
 * test/faults.test.ts cuts and kills database connections on purpose. There, and only there, postgres.js has
 * been seen to leak a connection error as an unhandled rejection (2 runs in about 8, source not yet found,
 * an open defect of issue 15); a file sets this flag to have those reported rather than failed. Any other
 * rejection still fails the file.
 */
declare global {
  // eslint-disable-next-line no-var
  var reportDriverConnectionRejections: boolean | undefined;
}
const DRIVER_CONNECTION_ERROR = /^Error: (write )?(CONNECTION_CLOSED|CONNECTION_DESTROYED|CONNECTION_ENDED)\b[^\n]*\n\s+at [^\n]*node_modules\/postgres\/src\/connection\.js/;

afterAll(async () => {
  // Let rejections from the file's last moments surface first.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', record);
  let seen = rejections.splice(0).map((reason) => (reason instanceof Error ? reason.stack ?? reason.message : String(reason)));
  if (globalThis.reportDriverConnectionRejections) {
    const driver = seen.filter((stack) => DRIVER_CONNECTION_ERROR.test(stack));
    for (const stack of driver) console.warn(`KNOWN DEFECT (issue 15): postgres.js leaked an unhandled rejection during a fault:\n${stack}`);
    seen = seen.filter((stack) => !DRIVER_CONNECTION_ERROR.test(stack));
  }
  expect(seen, 'unhandled rejections during this file').toEqual([]);
});
