// The broadcast on the session page: the poster before it starts, the live player,
// the replay with its chapters, the "enter the room" button, the low-bandwidth
// modes, the viewer count, and the organisers' broadcast controls.
//
// Invariants:
// - The page's one socket brings `stream.state` (snapshot), `stream.status`
//   (events, each the whole new state) and `presence.count`; applying a frame
//   twice changes nothing, and the same source is never reloaded.
// - hls.js comes from its own bundle, loaded only to play HLS; a browser without
//   Media Source Extensions but with native HLS (Safari on iOS) is given the
//   address itself. YouTube is embedded through youtube-nocookie.com and only
//   once the viewer asks for it.
// - "The broadcast has started" is announced once, politely, when the broadcast
//   goes live while the page is open; the "enter the room" button appears when
//   the video starts playing (at once in text-only mode). Focus only moves when
//   the viewer acts, or when the element holding it disappears.
// - Text-only mode downloads no video at all; audio-only picks the stream's
//   audio-only rendition and is offered only when the stream has one.

import { format, timeFormat } from "./text.js";

const MODE_KEY = "plenary.player.mode";
const PLAYABLE = new Set(["live", "replay"]);
const RETRY_MS = 2000; // an encoder's first playlist appears a few seconds after it publishes

const INERT_PLAYER = { apply() {}, session() {}, connection() {} };

export function createPlayer(root, socket, { announce }) {
  const el = root.querySelector("[data-player]");
  if (!el) return INERT_PLAYER;
  const config = JSON.parse(document.getElementById("stream-config").textContent);
  const strings = JSON.parse(document.getElementById("stream-strings").textContent);
  const $ = (selector) => el.querySelector(selector);
  const video = $("[data-player-video]");
  const embed = $("[data-player-embed]");
  const loadEmbed = $("[data-player-load-embed]");
  const embedNotice = $("[data-player-embed-notice]");
  const enter = $("[data-enter-room]");
  const roomNotice = $("[data-room-notice]");
  const errorLine = $("[data-player-error]");
  const audioNote = $("[data-player-audio]");
  const audioChoice = $("[data-mode-audio]");
  const countdown = $("[data-countdown]");
  const lang = document.documentElement.lang || "fr";
  const clock = timeFormat(lang);

  const state = {
    status: el.dataset.streamStatus,
    source: null,
    chapters: [],
    opensAt: null,
    graceMs: 0,
    offsetMs: 0, // server clock minus ours
    sessionStatus: root.dataset.status,
    sessionEndedAt: null,
  };
  let synced = false;
  let mode = readMode();
  let hls = null;
  let loaded = null; // the source being played: {kind, url}
  let audioLevel = -1;
  let embedAllowed = false;
  let pendingSeek = null;
  let retry = null;
  let playing = false;

  function readMode() {
    try {
      const saved = window.localStorage.getItem(MODE_KEY);
      return saved === "text" || saved === "audio" ? saved : "video";
    } catch {
      return "video";
    }
  }

  // -- what to show -----------------------------------------------------------------

  function render() {
    el.dataset.streamStatus = state.status;
    for (const line of el.querySelectorAll("[data-stream-message]")) {
      line.hidden = line.dataset.streamMessage !== state.status;
    }
    const badge = el.querySelector("[data-stream-badge]");
    if (badge) badge.textContent = strings.status[state.status] ?? state.status;
    for (const button of el.querySelectorAll("[data-stream-allowed]")) {
      button.disabled =
        button.dataset.pending === "1" ||
        !button.dataset.streamAllowed.split(" ").includes(state.status);
    }
    const wanted = PLAYABLE.has(state.status) && mode !== "text" ? state.source : null;
    if (!sameSource(wanted, loaded)) {
      unload();
      if (wanted) load(wanted);
    }
    renderModes();
    renderRoom();
    keepFocusUsable();
  }

  function sameSource(a, b) {
    if (!a || !b) return a === b;
    return a.kind === b.kind && a.url === b.url;
  }

  function renderModes() {
    el.dataset.mode = mode;
    for (const input of el.querySelectorAll("input[name='player-mode']")) {
      input.checked = input.value === mode;
    }
    audioChoice.hidden = audioLevel < 0 && mode !== "audio";
    audioNote.hidden = !(mode === "audio" && loaded);
    video.classList.toggle("player__video--audio", mode === "audio");
  }

  // -- the room -----------------------------------------------------------------------

  function serverNow() {
    return Date.now() + state.offsetMs;
  }

  function roomState() {
    if (state.opensAt === null || state.sessionStatus === "cancelled") return "closed";
    if (state.status === "live") return "open"; // a broadcast that starts early opens it
    const now = serverNow();
    if (now < state.opensAt) return "before";
    if (state.sessionStatus === "ended" && state.sessionEndedAt !== null) {
      if (now > state.sessionEndedAt + state.graceMs) return "closed";
    }
    return "open";
  }

  function renderRoom() {
    const room = roomState();
    root.dataset.room = room;
    if (room === "before") {
      roomNotice.textContent = format(strings.roomOpensAt, {
        time: clock.format(new Date(state.opensAt - state.offsetMs)),
      });
    } else {
      roomNotice.textContent = room === "closed" && synced ? strings.roomClosed : "";
    }
    const ready = playing || mode === "text" || !PLAYABLE.has(state.status);
    const show = synced && room === "open" && ready && root.dataset.inRoom !== "1";
    if (enter.hidden === show) enter.hidden = !show;
    if (countdown) {
      const minutes = Math.ceil((Date.parse(config.startsAt) - serverNow()) / 60000);
      countdown.textContent =
        state.status === "scheduled" && minutes > 0
          ? format(strings.startsIn, { minutes: String(minutes) })
          : "";
    }
  }

  function enterRoom() {
    root.dataset.inRoom = "1";
    enter.hidden = true;
    const heading = document.getElementById("chat-heading");
    if (heading) {
      heading.tabIndex = -1;
      const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      heading.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
      heading.focus({ preventScroll: true });
    }
  }

  function keepFocusUsable() {
    // The control that had focus may have just been hidden (the "load the video"
    // button once loaded) or disabled (a broadcast button): hand focus on.
    const focused = document.activeElement;
    if (!focused || !el.contains(focused)) return;
    if (!focused.hidden && !focused.disabled && focused.offsetParent !== null) return;
    const next = !enter.hidden
      ? enter
      : el.querySelector("[data-stream-action] button:not(:disabled)") ?? video;
    if (next === video) video.tabIndex = -1;
    next.focus();
  }

  // -- playing ------------------------------------------------------------------------

  function load(source) {
    loaded = source;
    errorLine.hidden = true;
    if (source.kind === "embed") {
      if (source.click_to_load && !embedAllowed) {
        loadEmbed.hidden = false;
        embedNotice.hidden = source.provider !== "youtube";
        return;
      }
      showEmbed(source);
      return;
    }
    video.hidden = false;
    if (state.status === "replay" && state.chapters.length) addChaptersTrack();
    if (source.kind === "file") {
      video.src = source.url;
      start();
      return;
    }
    playHls(source);
  }

  async function playHls(source) {
    let Hls = null;
    try {
      Hls = (await import(config.hlsModule)).default;
    } catch {
      Hls = null;
    }
    if (loaded !== source) return; // switched meanwhile
    if (!Hls || !Hls.isSupported()) {
      if (video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = source.url;
        start();
      } else {
        showError();
      }
      return;
    }
    hls = new Hls({ lowLatencyMode: false, backBufferLength: 30 });
    hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
      audioLevel = data.levels.findIndex((level) => !level.videoCodec && level.audioCodec);
      if (mode === "audio" && audioLevel >= 0) hls.currentLevel = audioLevel;
      if (mode === "audio" && audioLevel < 0) mode = "video";
      renderModes();
      start();
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
        return;
      }
      // The playlist is not there yet (an encoder just started) or the network
      // dropped: try the same source again shortly, for as long as it is live.
      unload();
      retry = window.setTimeout(() => {
        retry = null;
        if (!loaded && PLAYABLE.has(state.status) && mode !== "text") render();
      }, RETRY_MS);
    });
    hls.attachMedia(video);
    hls.loadSource(source.url);
  }

  function start() {
    if (pendingSeek !== null) seekWhenReady(pendingSeek);
    const attempt = video.play();
    if (attempt && attempt.catch) {
      attempt.catch(() => {
        // Autoplay with sound refused (no gesture yet): play muted; the player's
        // own controls turn the sound on.
        video.muted = true;
        video.play().catch(() => {});
      });
    }
  }

  function showEmbed(source) {
    loadEmbed.hidden = true;
    embedNotice.hidden = true;
    const frame = document.createElement("iframe");
    frame.src = source.url;
    frame.title = strings.status[state.status] ?? "";
    frame.allow = "autoplay; fullscreen; picture-in-picture";
    frame.allowFullscreen = true;
    frame.referrerPolicy = "strict-origin-when-cross-origin";
    embed.replaceChildren(frame);
    embed.hidden = false;
    playing = true; // an embed plays by itself: the room can be entered
    renderRoom();
  }

  function unload() {
    if (retry !== null) {
      window.clearTimeout(retry);
      retry = null;
    }
    if (hls) {
      hls.destroy();
      hls = null;
    }
    if (video.getAttribute("src") !== null) {
      video.removeAttribute("src");
      video.load(); // stops any download
    }
    video.hidden = true;
    embed.replaceChildren();
    embed.hidden = true;
    loadEmbed.hidden = true;
    embedNotice.hidden = true;
    loaded = null;
    playing = false;
  }

  function showError() {
    errorLine.textContent = strings.playFailed;
    errorLine.hidden = false;
  }

  video.addEventListener("playing", () => {
    if (playing) return;
    playing = true;
    renderRoom();
  });

  loadEmbed.addEventListener("click", () => {
    embedAllowed = true;
    if (loaded) showEmbed(loaded);
    el.querySelector("[data-player-screen]").focus?.();
  });

  enter.addEventListener("click", enterRoom);

  for (const input of el.querySelectorAll("input[name='player-mode']")) {
    input.addEventListener("change", () => {
      if (!input.checked) return;
      mode = input.value;
      try {
        window.localStorage.setItem(MODE_KEY, mode);
      } catch {
        // private browsing: the choice lasts for this page only
      }
      if (hls && mode !== "text") {
        hls.currentLevel = mode === "audio" && audioLevel >= 0 ? audioLevel : -1;
      }
      render();
    });
  }

  // -- replay chapters ----------------------------------------------------------------

  function addChaptersTrack() {
    if (video.querySelector("track")) return;
    const track = document.createElement("track");
    track.kind = "chapters";
    track.src = config.chapters;
    track.srclang = lang;
    track.default = true;
    video.append(track);
  }

  function stamp(seconds) {
    const s = Math.floor(seconds);
    const hh = Math.floor(s / 3600);
    const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
    const ss = String(s % 60).padStart(2, "0");
    return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
  }

  function renderChapters() {
    for (const old of root.querySelectorAll("[data-seek]")) old.remove();
    if (state.status !== "replay") return;
    for (const chapter of state.chapters) {
      const item = root.querySelector(`.agenda__item[data-item="${chapter.item}"]`);
      if (!item) continue;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button button--small button--secondary";
      button.dataset.seek = String(chapter.start);
      button.textContent = format(strings.watchFrom, { time: stamp(chapter.start) });
      item.append(button);
    }
  }

  function seekWhenReady(seconds) {
    if (video.readyState >= 1) {
      video.currentTime = seconds;
      pendingSeek = null;
      return;
    }
    pendingSeek = seconds;
    video.addEventListener(
      "loadedmetadata",
      () => {
        if (pendingSeek === null) return;
        video.currentTime = pendingSeek;
        pendingSeek = null;
      },
      { once: true },
    );
  }

  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-seek]");
    if (!button) return;
    if (mode === "text") {
      mode = "video";
      render();
    }
    seekWhenReady(Number(button.dataset.seek));
    video.play().catch(() => {});
  });

  // -- the organisers' controls -------------------------------------------------------

  const feedback = el.querySelector("[data-stream-feedback]");
  for (const form of el.querySelectorAll("[data-stream-action]")) {
    form.addEventListener("submit", async (event) => {
      if (!socket.open) return; // the plain form post
      event.preventDefault();
      const button = form.querySelector("button");
      button.dataset.pending = "1";
      button.disabled = true;
      feedback.textContent = "";
      try {
        await socket.request({ type: form.dataset.streamAction });
      } catch (error) {
        feedback.textContent = error.message || "";
      } finally {
        delete button.dataset.pending;
        render();
      }
    });
  }

  const who = el.querySelector("[data-who]");
  let whoTimer = null;
  async function askWho() {
    if (!who.open || !socket.open) return;
    try {
      await socket.request({ type: "presence.who" });
    } catch {
      // the next refresh tries again
    }
  }
  who?.addEventListener("toggle", () => {
    window.clearInterval(whoTimer);
    if (!who.open) return;
    askWho();
    whoTimer = window.setInterval(askWho, 15000);
  });

  function showWho(frame) {
    if (!who) return;
    who.querySelector("[data-who-counts]").textContent = format(strings.who.counts, {
      hall: frame.in_hall,
      online: frame.online,
      total: frame.total,
      anonymous: frame.anonymous,
    });
    const list = who.querySelector("[data-who-list]");
    list.replaceChildren(
      ...frame.people.map((person) => {
        const li = document.createElement("li");
        const where = [];
        if (person.in_hall) where.push(strings.who.hall);
        if (person.online) where.push(strings.who.online);
        li.textContent = `${person.name} (${where.join(", ")})`;
        return li;
      }),
    );
  }

  // -- frames -------------------------------------------------------------------------

  function applyStatus(frame) {
    const previous = state.status;
    state.status = frame.status;
    state.source = frame.source;
    state.chapters = frame.chapters ?? [];
    render();
    renderChapters();
    if (synced && previous !== frame.status) {
      const said = { live: strings.started, ended: strings.ended, replay: strings.replay };
      if (said[frame.status]) announce(said[frame.status]);
    }
  }

  function apply(frame) {
    switch (frame.type) {
      case "stream.state":
        state.opensAt = frame.room_opens_at === null ? null : Date.parse(frame.room_opens_at);
        state.graceMs = frame.room_grace_seconds * 1000;
        state.offsetMs = Date.parse(frame.now) - Date.now();
        synced = false; // a snapshot is not news
        applyStatus(frame);
        synced = true;
        renderRoom();
        break;
      case "stream.status":
        applyStatus(frame);
        break;
      case "presence.count":
        $("[data-viewer-count]").textContent = format(
          frame.approx ? strings.aboutViewers : strings.viewers,
          { count: frame.viewers.toLocaleString(lang) },
        );
        break;
      case "presence.list":
        showWho(frame);
        break;
      default:
        break;
    }
  }

  // The session's own status and end decide when the room closes.
  function session(frame) {
    state.sessionStatus = frame.status;
    state.sessionEndedAt = frame.ended_at ? Date.parse(frame.ended_at) : null;
    renderRoom();
  }

  window.setInterval(renderRoom, 15000);
  render();
  return { apply, session, connection() {} };
}
