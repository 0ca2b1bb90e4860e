// An unmodified y-websocket WebsocketProvider (y-websocket 2.1, from frontend/node_modules)
// driven by the interop tests over stdin/stdout, one JSON object per line.
//
//   node yws_client.cjs <ws base url> <room> [cookie]
//
// Commands (stdin): {"op": "append", "text": "..."} appends a paragraph to the
// minutes' Y.XmlFragment ("default", TipTap's field); {"op": "type", "block": n,
// "text": "..."} types at the start of block n; {"op": "text"} prints the text;
// {"op": "quit"}. Events (stdout): {"event": "synced"}, {"event": "text", "text"},
// {"event": "close", "code"}.
"use strict";

const WebSocket = require("ws");
const Y = require("yjs");
const { WebsocketProvider } = require("y-websocket");

const [base, room, cookie] = process.argv.slice(2);
const origin = base.replace(/^ws/, "http").replace(/\/ws\/.*$/, "");

class CookieWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { headers: { Origin: origin, ...(cookie ? { Cookie: cookie } : {}) } });
  }
}

const doc = new Y.Doc();
const fragment = doc.getXmlFragment("default");
const provider = new WebsocketProvider(base, room, doc, {
  WebSocketPolyfill: CookieWebSocket,
  disableBc: true,
  maxBackoffTime: 200,
});

function emit(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

function text() {
  const lines = [];
  const walk = (node) => {
    if (node instanceof Y.XmlText) {
      if (!lines.length) lines.push("");
      lines[lines.length - 1] += node.toDelta().map((d) => (typeof d.insert === "string" ? d.insert : "")).join("");
    } else if (node instanceof Y.XmlElement) {
      if (["paragraph", "heading", "tableCell", "tableHeader", "codeBlock"].includes(node.nodeName)) lines.push("");
      node.toArray().forEach(walk);
    }
  };
  fragment.toArray().forEach(walk);
  return lines.join("\n");
}

provider.on("sync", (synced) => { if (synced) emit({ event: "synced", text: text() }); });
provider.on("connection-close", (event) => emit({ event: "close", code: event ? event.code : null }));
doc.on("update", () => emit({ event: "text", text: text() }));

let buffered = "";
process.stdin.on("data", (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf("\n")) >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (line.trim()) run(JSON.parse(line));
  }
});

function run(command) {
  switch (command.op) {
    case "append": {
      const paragraph = new Y.XmlElement("paragraph");
      paragraph.insert(0, [new Y.XmlText(command.text)]);
      fragment.push([paragraph]);
      break;
    }
    case "type": {
      const element = fragment.get(command.block);
      let target = element.get(0);
      if (!(target instanceof Y.XmlText)) {
        target = new Y.XmlText();
        element.insert(0, [target]);
      }
      target.insert(0, command.text);
      break;
    }
    case "text":
      emit({ event: "text", text: text() });
      break;
    case "quit":
      provider.destroy();
      process.exit(0);
  }
}
