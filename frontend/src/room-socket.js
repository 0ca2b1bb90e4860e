// A websocket to one room that reconnects by itself and resumes where it left off.
//
// Every persisted frame carries the room's `seq`; on reconnect the socket asks for
// `?since=<last seq>` and the server replays what was missed, so the page sees each
// event once and in order. Actions sent with `request()` resolve on the server's
// `ack` and reject on its `error` (matched by `ref`).

const NOT_FOUND = 4404;

export class RoomSocket {
  constructor(path, { onFrame, onStatus }) {
    this.path = path;
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.lastSeq = null;
    this.pending = new Map();
    this.nextRef = 1;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const since = this.lastSeq === null ? "" : `?since=${this.lastSeq}`;
    const ws = new WebSocket(`${scheme}//${window.location.host}${this.path}${since}`);
    this.ws = ws;
    this.onStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    ws.addEventListener("open", () => this.onStatus("open"));
    ws.addEventListener("message", (event) => {
      // Only a frame proves the server is serving us: a server that accepts and
      // then fails must not be retried every half second.
      this.attempt = 0;
      this.receive(event.data);
    });
    ws.addEventListener("close", (event) => this.closed(ws, event));
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === "ack" || frame.type === "error") {
      const waiter = frame.ref ? this.pending.get(frame.ref) : undefined;
      if (waiter) {
        this.pending.delete(frame.ref);
        if (frame.type === "ack") waiter.resolve(frame);
        else waiter.reject(frame);
        return;
      }
    }
    if (typeof frame.seq === "number" && frame.seq > 0) {
      // A snapshot restarts the count; any other event is applied once, in order.
      if (frame.type !== "session.state" && this.lastSeq !== null && frame.seq <= this.lastSeq) {
        return;
      }
      this.lastSeq = frame.seq;
    } else if (frame.type === "session.state") {
      this.lastSeq = frame.seq;
    }
    this.onFrame(frame);
  }

  closed(ws, event) {
    if (ws !== this.ws) return;
    this.ws = null;
    for (const waiter of this.pending.values()) {
      waiter.reject({ code: "disconnected", message: "" });
    }
    this.pending.clear();
    if (this.stopped) return;
    if (event.code === NOT_FOUND) {
      this.onStatus("gone");
      return;
    }
    this.attempt += 1;
    this.onStatus("reconnecting");
    // Exponential backoff with jitter, so a restarted server is not stampeded.
    const ceiling = Math.min(10000, 500 * 2 ** Math.min(this.attempt, 5));
    window.setTimeout(() => this.connect(), ceiling / 2 + Math.random() * (ceiling / 2));
  }

  request(frame) {
    if (!this.open) {
      return Promise.reject({ code: "disconnected", message: "" });
    }
    const ref = String(this.nextRef++);
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      this.ws.send(JSON.stringify({ ...frame, ref }));
    });
  }

  stop() {
    this.stopped = true;
    if (this.ws) this.ws.close(1000);
  }
}
