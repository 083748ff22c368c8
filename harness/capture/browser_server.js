// playgate browser-server: Playwright's own browser server (launchServer) for one of this
// machine's browsers, launched as a gate run launches it. Run with the node and the package
// of the driver that Playwright's Python package ships; the settings come as JSON in
// PLAYGATE_BROWSER_SERVER. Prints the endpoint on one line, then serves until SIGTERM or
// SIGINT, and closes the browser on the way out.
const settings = JSON.parse(process.env.PLAYGATE_BROWSER_SERVER);
const playwright = require(settings.driver_package);

playwright[settings.browser]
  .launchServer({
    executablePath: settings.executable,
    channel: settings.channel || undefined,
    headless: true,
    host: settings.host,
    port: settings.port,
    wsPath: settings.ws_path,
  })
  .then((server) => {
    process.stdout.write(server.wsEndpoint() + "\n");
    let closing = false;
    const stop = () => {
      if (closing) return;
      closing = true;
      server.close().finally(() => process.exit(0));
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    process.stdin.on("end", stop); // the playgate that started it is gone
    process.stdin.resume();
  })
  .catch((error) => {
    process.stderr.write(String((error && error.message) || error).split("\n")[0] + "\n");
    process.exit(1);
  });
