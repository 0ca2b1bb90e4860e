// A text box that posts over the session socket: what the chat's composer and the
// questions' form share.
//
// Invariants:
// - Each post gets a client id when it is first sent; sending it again (after a
//   lost connection, or when the user presses Send again on the same text) reuses
//   that id, so the server stores it once.
// - A post refused because the socket is down is kept and sent again as soon as
//   the socket is back (`connection("open")`); any other refusal drops it and shows
//   the server's message in the error line (a role="alert" element).
// - The box is emptied only when the acknowledged text is still what it holds:
//   typing on while a post is in flight loses nothing.
// - The character count is always shown; the remaining characters are read out
//   (a polite live region) only near the limit, once typing pauses.
//
// The words (`count`, `remaining`, `willRetry`, `disconnected`) come from the
// module's template, as `%(name)s` patterns.
//
// >>> const composer = createComposer({ socket, input, sendButton, ..., frame:
// ...   (post) => ({ type: "question.ask", text: post.text, client_id: post.clientId }) });
// >>> composer.submit();

import { format, randomId } from "./text.js";

const REMAINING_DELAY = 800; // ms of no typing before the remaining count is read out

export function createComposer({
  socket,
  input,
  sendButton,
  count,
  remaining,
  errorLine,
  strings,
  maxLength,
  nearLimit,
  frame, // (post) => the frame to send; post is { text, clientId, context }
  context = () => null, // what else identifies a post besides its text (a reply's target)
  refuseBlank = false, // true: an empty box is not sent, focus stays in it
  onSending = () => {},
  onSent = () => {},
}) {
  const state = { pending: null, waitingForSocket: false, sending: false };

  function showCount() {
    count.textContent = format(strings.count, { count: input.value.length, max: maxLength });
  }

  let remainingTimer = null;
  function announceRemaining() {
    window.clearTimeout(remainingTimer);
    remainingTimer = window.setTimeout(() => {
      const left = maxLength - input.value.length;
      remaining.textContent = left <= nearLimit ? format(strings.remaining, { remaining: left }) : "";
    }, REMAINING_DELAY);
  }

  function send(post) {
    state.pending = post;
    state.waitingForSocket = false;
    state.sending = true;
    sendButton.setAttribute("aria-busy", "true");
    errorLine.textContent = "";
    onSending(post);
    socket
      .request(frame(post))
      .then(() => {
        state.pending = null;
        if (input.value === post.text) {
          input.value = "";
          showCount();
          remaining.textContent = "";
        }
        onSent(post);
      })
      .catch((error) => {
        if (error.code === "disconnected") {
          // Sent again with the same client id once the socket is back: stored once.
          state.waitingForSocket = true;
          errorLine.textContent = strings.willRetry;
        } else {
          state.pending = null;
          errorLine.textContent = error.message || strings.disconnected;
        }
      })
      .finally(() => {
        state.sending = false;
        sendButton.removeAttribute("aria-busy");
      });
  }

  function submit() {
    if (state.sending) return;
    const text = input.value;
    if (refuseBlank && !text.trim()) {
      input.focus();
      return;
    }
    const about = context();
    const pending = state.pending;
    send(
      pending && pending.text === text && pending.context === about
        ? pending
        : { text, clientId: randomId(), context: about },
    );
  }

  function connection(status) {
    if (status === "open" && state.pending && state.waitingForSocket) send(state.pending);
  }

  input.addEventListener("input", () => {
    showCount();
    announceRemaining();
  });
  showCount();

  return { submit, connection };
}
