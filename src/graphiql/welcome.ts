/**
 * What GraphiQL's editor opens with: opsgraph's own welcome and a query that runs as it stands
 * (GraphiQL's default is a comment only, so Run answered "Syntax Error: Unexpected <EOF>").
 */
export const GRAPHIQL_DEFAULT_QUERY = `# Welcome to opsgraph: live, exact badge counts.
#
# 1. Paste the token \`npm start\` printed into
#    the Headers tab below:
#    { "Authorization": "Bearer <token>" }
# 2. Press Run (Ctrl-Enter). The Docs pane lists
#    every field and the least role it needs.
# 3. Change "query" to "subscription" to watch
#    the same badges live.
#
# A fresh start shows zeros: \`npm run seed\` loads
# demo data, \`npm run simulate\` keeps it moving.

query Dashboard {
  dashboard {
    scanStats { total stats { scanType count } }
    failureCount(since: "1h") { count since }
    deadLetterCount
    failedNotificationCount
    jobsRunning
    jobsPending
  }
}
`;
