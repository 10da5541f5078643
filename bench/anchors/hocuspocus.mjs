// The Hocuspocus anchor server: a stock @hocuspocus/server (version pinned in
// package.json) with no extensions, no persistence and no authentication hook,
// listening on 127.0.0.1 only. Owns nothing but starting it.
//
//   PORT=12345 node bench/anchors/hocuspocus.mjs
//
// Prints `hocuspocus ready on ws://127.0.0.1:<port>` once it listens (PORT=0
// picks a free port, the line says which). Stops on SIGTERM/SIGINT (Hocuspocus
// closes its connections and exits 0). Clients must speak Hocuspocus' framing,
// not plain y-websocket: see README.md and targets.mjs.
import { Server } from "@hocuspocus/server";

const port = Number(process.env.PORT ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`bad PORT: ${process.env.PORT}`);
  process.exit(2);
}

const server = new Server({
  name: "reynard-bench-anchor",
  address: "127.0.0.1",
  port,
  quiet: true, // no start screen, no per-connection logging
  // Everything else is Hocuspocus' default: timeout 60 s (a socket that sends
  // nothing for 60 s is closed), flushDelay 0 (broadcasts of one event-loop
  // turn are merged), unloadImmediately (a room is freed when its last
  // client leaves).
});

await server.listen();
console.log(`hocuspocus ready on ws://127.0.0.1:${server.address.port} (node ${process.version})`);
