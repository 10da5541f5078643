// Smoke test of the anchor servers with raw y-websocket-protocol clients (ws
// + yjs + y-protocols, no provider library): for each server given, two
// clients join a fresh room, sync, and an edit of one must reach the other.
// Starts no server (bench/anchors/servers.sh does):
//
//   YSWEET_URL=http://127.0.0.1:PORT HOCUSPOCUS_URL=ws://127.0.0.1:PORT node bench/anchors/smoke.mjs
//
// A server whose variable is unset is skipped. Only 127.0.0.0/8 is contacted;
// every wait is bounded (5 s). Exits 1 if a check failed.
import WebSocket from "ws";
import * as Y from "yjs";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import * as syncProtocol from "y-protocols/sync";
import {
  ysweetRoom,
  hocuspocusRoom,
  hocuspocusFrame,
  hocuspocusAuthMessage,
  hocuspocusUnframe,
  HocuspocusType,
  HocuspocusAuth,
} from "./targets.mjs";

const WAIT_MS = 5000;
let passed = 0;
let failed = 0;

function loopback(url) {
  const host = new URL(url).hostname;
  if (!/^127\.\d+\.\d+\.\d+$/.test(host) && host !== "localhost") {
    throw new Error(`refusing a non-loopback address: ${url}`);
  }
  return url;
}

function until(what, cond, ms = WAIT_MS) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      if (cond()) return resolve(Date.now() - t0);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/**
 * A raw client: a Y.Doc and a socket. `documentName` set = Hocuspocus framing
 * (auth first, every message prefixed); unset = plain y-websocket.
 */
class RawClient {
  constructor(label, url, documentName = null) {
    this.label = label;
    this.documentName = documentName;
    this.doc = new Y.Doc();
    this.text = this.doc.getText("monaco");
    this.synced = false; // got the server's sync step 2
    this.authenticated = documentName === null;
    this.received = []; // y-websocket message types received
    this.updatesReceived = 0; // sync updates (0/2) received
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.binaryType = "nodebuffer";
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", resolve);
      this.ws.once("error", reject);
    });
    this.ws.on("message", (data) => this.onMessage(new Uint8Array(data)));
    this.doc.on("update", (update, origin) => {
      if (origin === this) return; // applied from the server
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, 0); // messageSync
      syncProtocol.writeUpdate(enc, update);
      this.send(encoding.toUint8Array(enc));
    });
  }

  send(message) {
    this.ws.send(this.documentName === null ? message : hocuspocusFrame(this.documentName, message));
  }

  async join() {
    await this.opened;
    if (this.documentName !== null) this.ws.send(hocuspocusAuthMessage(this.documentName, ""));
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, 0);
    syncProtocol.writeSyncStep1(enc, this.doc);
    this.send(encoding.toUint8Array(enc));
  }

  onMessage(data) {
    let payload = data;
    if (this.documentName !== null) {
      const un = hocuspocusUnframe(data);
      if (un.documentName !== this.documentName) throw new Error(`${this.label}: message for ${un.documentName}`);
      payload = un.payload;
    }
    const dec = decoding.createDecoder(payload);
    const type = decoding.readVarUint(dec);
    this.received.push(type);
    switch (type) {
      case 0: {
        const enc = encoding.createEncoder();
        encoding.writeVarUint(enc, 0);
        const sub = syncProtocol.readSyncMessage(dec, enc, this.doc, this);
        if (sub === syncProtocol.messageYjsSyncStep2) this.synced = true;
        if (sub === syncProtocol.messageYjsUpdate) this.updatesReceived++;
        if (encoding.length(enc) > 1) this.send(encoding.toUint8Array(enc)); // our step 2 for the server's step 1
        break;
      }
      case HocuspocusType.Auth: {
        const sub = decoding.readVarUint(dec);
        if (sub === HocuspocusAuth.Authenticated) this.authenticated = true;
        else if (sub === HocuspocusAuth.PermissionDenied) this.denied = decoding.readVarString(dec);
        break;
      }
      default: // 1 awareness, 8 Hocuspocus' SyncStatus, ...: not needed here
    }
  }

  close() {
    this.ws.terminate();
    this.doc.destroy();
  }
}

async function check(name, fn) {
  try {
    const detail = await fn();
    passed++;
    console.log(`ok   ${name}${detail ? `: ${detail}` : ""}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}

/** Two clients, sync, A edits, B must see it; returns a summary line. */
async function twoClients(a, b) {
  try {
    await Promise.all([a.join(), b.join()]);
    const syncMs = await until("both synced", () => a.synced && b.synced && a.authenticated && b.authenticated);
    const marker = `[smoke:${a.label}:${Date.now()}]`;
    a.text.insert(0, marker);
    const deliverMs = await until(`${b.label} to receive the edit`, () => b.text.toString() === marker);
    // Does the server echo an update back to its writer? (both anchors do)
    await until(`${a.label}'s own echo`, () => a.updatesReceived > 0, 1000).catch(() => {});
    return `synced in ${syncMs} ms, edit delivered in ${deliverMs} ms; echo to the writer: ${a.updatesReceived > 0 ? "yes" : "no"}; types received by the writer: ${[...new Set(a.received)].join(",")}`;
  } finally {
    a.close();
    b.close();
  }
}

const run = `${process.pid}-${Date.now()}`;

if (process.env.YSWEET_URL) {
  const base = loopback(process.env.YSWEET_URL);
  await check("y-sweet: /doc/new + /doc/{id}/auth, two raw y-websocket clients", async () => {
    const name = `smoke-${run}-a`;
    const { url } = await ysweetRoom(base, name);
    const detail = await twoClients(new RawClient("A", loopback(url)), new RawClient("B", loopback(url)));
    return `${url}; ${detail}`;
  });
  await check("y-sweet: ws /d/{room}/ws/{room} with no HTTP call (no --auth)", async () => {
    const name = `smoke-${run}-b`;
    const url = `${base.replace(/^http/, "ws").replace(/\/+$/, "")}/d/${name}/ws/${name}`;
    return twoClients(new RawClient("A", url), new RawClient("B", url));
  });
} else {
  console.log("skip y-sweet (YSWEET_URL unset)");
}

if (process.env.HOCUSPOCUS_URL) {
  const base = loopback(process.env.HOCUSPOCUS_URL);
  await check("hocuspocus: two raw clients with its framing (name prefix + Auth)", async () => {
    const { url, documentName } = hocuspocusRoom(base, `smoke-${run}-a`);
    return twoClients(new RawClient("A", url, documentName), new RawClient("B", url, documentName));
  });
  await check("hocuspocus: an unframed y-websocket client gets no answer (expected)", async () => {
    const c = new RawClient("plain", `${base.replace(/\/+$/, "")}/smoke-${run}-plain`);
    try {
      await c.join();
      await new Promise((r) => setTimeout(r, 1500));
      if (c.received.length > 0 || c.synced) throw new Error(`it was answered: types ${c.received}`);
      return "nothing in 1.5 s (its messages read as document \"\" and wait for an Auth message)";
    } finally {
      c.close();
    }
  });
} else {
  console.log("skip hocuspocus (HOCUSPOCUS_URL unset)");
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
