import './scalars.js';
import './viewer.js';
import './audit.js';
import './notification.js';
import './job.js';
import './schedule.js';
import './execution.js';
import './kill.js';
import './scan.js';
import './failures.js';
import './failure-series.js';
import './job-list-live-counts.js';
import './dashboard.js';
import './subscriptions.js';
import { buildSubgraphSchema } from './federation.js';

// Sorted, as the printed schema.graphql is; also a federation subgraph (src/schema/federation.ts).
export const schema = buildSubgraphSchema();
