// Runs before GraphiQL's bundle: Monaco looks for MonacoEnvironment when it
// loads. Its workers start from blob: URLs made from this server's own worker
// bundles, as yoga's page does (the page's CSP allows worker-src blob:).
// Settings come from the page's JSON block: the CSP runs no inline script.
(() => {
  const config = JSON.parse(document.getElementById('graphiql-config').textContent);
  const workers = {};
  window.prepareWorkers = () =>
    Promise.all(
      Object.entries(config.workers).map(async ([name, url]) => {
        const source = await (await fetch(url)).text();
        workers[name] = URL.createObjectURL(new Blob([source], { type: 'application/javascript' }));
      }),
    );
  self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_id, label) => workers[label] };
  window.graphiqlOptions = config.options;
})();
