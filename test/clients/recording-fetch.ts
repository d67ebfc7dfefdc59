/** The requests a client library sent, as it sent them: a fetch that records and passes each one to the real fetch. */
export function recordingFetch() {
  const sent: { method: string; url: string; body: unknown }[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const text = typeof init?.body === 'string' ? init.body : null;
    sent.push({ method, url, body: text === null ? null : JSON.parse(text) });
    return fetch(input, init);
  }) as typeof fetch;
  return { fetch: fetchImpl, sent };
}
