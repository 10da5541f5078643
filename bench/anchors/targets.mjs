// How a y-websocket-protocol client reaches a room on each anchor server.
// Owns: y-sweet's document/URL calls and Hocuspocus' message framing (its
// document-name prefix and the Auth handshake). Servers are started by
// servers.sh; the protocol facts behind this file are in README.md.
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";

// ------------------------------------------------------------------ y-sweet

/** y-sweet document ids: what its /doc/new accepts (and its own nanoid ids use). */
const YSWEET_DOC_ID = /^[A-Za-z0-9_-]+$/;

async function postJson(url, body) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" }, // axum's Json extractor insists
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * A fresh y-sweet document `name` on the server at `baseHttpUrl`
 * (`http://127.0.0.1:PORT`), and the WebSocket URL a plain y-websocket client
 * opens for it.
 *
 * 1. `POST /doc/new {"docId": name}` → `{"docId": name}` (creates it, or
 *    loads it if it exists);
 * 2. `POST /doc/{name}/auth {}` → `{"url": "ws://HOST/d/{name}/ws", "baseUrl",
 *    "docId", "authorization": "full"}` (plus `"token"` only when the server
 *    runs with --auth; then it goes in `?token=`);
 * 3. the socket URL is `url + "/" + docId`, what y-websocket's
 *    `new WebsocketProvider(url, docId, doc)` opens: `/d/{name}/ws/{name}`
 *    (y-sweet wants the id twice, and both must be equal).
 *
 * Without --auth the upgrade on `/d/{id}/ws/{id}` alone also creates the
 * document, so `--url-template ws://127.0.0.1:PORT/d/{room}/ws/{room}` works
 * with no HTTP call at all; this function does what y-sweet's own client
 * library does.
 */
export async function ysweetRoom(baseHttpUrl, name) {
  if (!YSWEET_DOC_ID.test(name)) throw new Error(`y-sweet doc ids are [A-Za-z0-9_-]+: ${JSON.stringify(name)}`);
  const base = baseHttpUrl.replace(/\/+$/, "");
  const { docId } = await postJson(`${base}/doc/new`, { docId: name });
  const auth = await postJson(`${base}/doc/${encodeURIComponent(docId)}/auth`, {});
  let url = `${auth.url}/${encodeURIComponent(auth.docId)}`;
  if (auth.token) url += `?token=${encodeURIComponent(auth.token)}`;
  return { url, docId: auth.docId };
}

// ------------------------------------------------------------------ Hocuspocus

/** Hocuspocus' message types (the varUint after the document name). 0, 1 and 3 are y-websocket's. */
export const HocuspocusType = {
  Sync: 0, // y-protocols sync: [0 step1 | 1 step2 | 2 update, varUint8Array]
  Awareness: 1, // [varUint8Array awareness update]
  Auth: 2, // [varUint sub-type, varString]; sub-types below
  QueryAwareness: 3,
  SyncReply: 4, // client → server: a Sync step 1 the server answers with step 2 only
  Stateless: 5,
  Close: 7, // server → client: [varString reason], the document's connection is closed
  SyncStatus: 8, // server → client: [varUint 1 saved | 0 rejected], after each update / step 2
};
/** Sub-types of an Auth message. */
export const HocuspocusAuth = { Token: 0, PermissionDenied: 1, Authenticated: 2 };

/**
 * The room `name` on the Hocuspocus at `baseWsUrl` (`ws://127.0.0.1:PORT`).
 * The path of the URL does not matter to Hocuspocus (one socket can carry
 * many documents); the document is named inside every message instead.
 */
export function hocuspocusRoom(baseWsUrl, name) {
  return { url: baseWsUrl, documentName: name };
}

/** Wraps a y-websocket message (`[varUint type, ...]`) for Hocuspocus: `varString(documentName) ++ payload`. */
export function hocuspocusFrame(documentName, payload) {
  const enc = encoding.createEncoder();
  encoding.writeVarString(enc, documentName);
  encoding.writeUint8Array(enc, payload); // raw bytes: the y-websocket message follows as is
  return encoding.toUint8Array(enc);
}

/**
 * The first message a client must send for `documentName`:
 * `varString(documentName) varUint(2 Auth) varUint(0 Token) varString(token)`.
 * Until it arrives, everything else for that document is queued (not
 * answered); the server then answers `varString(documentName) 2 2
 * varString("read-write")` (Authenticated) or `2 1 varString(reason)`
 * (PermissionDenied). With no onAuthenticate hook any token, "" included, passes.
 */
export function hocuspocusAuthMessage(documentName, token = "") {
  const enc = encoding.createEncoder();
  encoding.writeVarString(enc, documentName);
  encoding.writeVarUint(enc, HocuspocusType.Auth);
  encoding.writeVarUint(enc, HocuspocusAuth.Token);
  encoding.writeVarString(enc, token);
  return encoding.toUint8Array(enc);
}

/** Splits a Hocuspocus message: `{ documentName, payload }`, payload being `[varUint type, ...]`. */
export function hocuspocusUnframe(data) {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const dec = decoding.createDecoder(bytes);
  const documentName = decoding.readVarString(dec);
  return { documentName, payload: bytes.subarray(dec.pos) };
}
