// GraphiQL's fetcher for opsgraph: queries and mutations are POSTed with the
// Headers tab's headers; subscriptions stream over graphql-ws, with the
// Authorization header moved into the connection_init payload (a browser
// WebSocket cannot send headers, and opsgraph reads the token from there).
import { createClient } from '/assets/vendor/graphql-ws/client.js';
import { operationType } from '/assets/operation-type.js';

function header(headers, name) {
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : String(headers[key]);
}

export function createFetcher(endpoint) {
  const wsUrl = endpoint.replace(/^http/, 'ws');
  let socket = { client: null, authorization: undefined };

  function wsClient(authorization) {
    if (socket.client === null || socket.authorization !== authorization) {
      socket.client?.dispose();
      socket = {
        authorization,
        client: createClient({ url: wsUrl, connectionParams: authorization ? { authorization } : {} }),
      };
    }
    return socket.client;
  }

  return (params, options) => {
    const headers = options?.headers ?? {};
    if (operationType(params.query, params.operationName) === 'subscription') {
      return wsClient(header(headers, 'authorization')).iterate(params);
    }
    return fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
      body: JSON.stringify(params),
    }).then((response) => response.json());
  };
}
