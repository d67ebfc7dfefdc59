// npm run seed: a week of realistic demo data in the database `npm start` uses
// (DATABASE_URL, or the embedded one in DATA_DIR, running or not). Run it again
// to replace the demo rows with a fresh week; other rows are left alone.
import { openDatabase } from './database.js';
import { seedDemo } from './demo-data.js';

const db = await openDatabase();
try {
  const summary = await seedDemo(db.sql);
  const statuses = Object.entries(summary.notifications).map(([status, n]) => `${n} ${status}`).join(', ');
  console.log(
    [
      `Seeded: ${summary.scans} scans, ${summary.failuresLastHour} failures in the last hour,`,
      `notifications ${statuses},`,
      `${summary.jobs} jobs with ${summary.running} executions running and ${summary.pending} pending.`,
      'Open http://localhost:4000/ after `npm start`; `npm run simulate` keeps the badges moving.',
    ].join('\n'),
  );
} finally {
  await db.close();
}
