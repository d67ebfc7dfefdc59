// Which kind of operation a GraphQL document runs, without a GraphQL parser.

/**
 * The type of the operation that runs: the one named `operationName`, else the
 * only one. Read from the text being sent (GraphiQL's parsed document can lag
 * behind the editor): top-level keywords and `{ … }` shorthands, skipping
 * comments, strings, and anything inside braces or parentheses.
 */
export function operationType(query, operationName) {
  const source = query.replace(/"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n\r]*/g, ' ');
  const operations = [];
  let depth = 0;
  let awaitingBody = false; // a top-level keyword waits for its selection set
  for (const [token, keyword, name] of source.matchAll(/[{}()]|\b(query|mutation|subscription|fragment)\b(?:\s+([_A-Za-z]\w*))?/g)) {
    if (token === '{' || token === '(') {
      if (token === '{' && depth === 0) {
        if (!awaitingBody) operations.push({ type: 'query', name: null });
        awaitingBody = false;
      }
      depth++;
    } else if (token === '}' || token === ')') {
      depth--;
    } else if (depth === 0) {
      operations.push({ type: keyword, name: name ?? null });
      awaitingBody = true;
    }
  }
  const executable = operations.filter((op) => op.type !== 'fragment');
  const chosen = operationName ? executable.find((op) => op.name === operationName) : executable[0];
  return chosen?.type ?? 'query';
}
