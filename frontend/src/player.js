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
// - Text-only mode downloads no video at all; audio-only plays the stream's
//   audio-only rendition (a variant of the multivariant playlist with an audio
//   codec only) and is offered only when the stream has one. hls.js drops such a
//   variant from its levels when there is video, so the page finds it in the
//   playlist as loaded and plays its own playlist instead of the whole stream.

import { format, timeFormat } from "./text.js";

const MODE_KEY = "plenary.player.mode";
const PLAYABLE = new Set(["live", "replay"]);
const RETRY_MS = 2000; // an encoder's first playlist appears a few seconds after it publishes

const INERT_PLAYER = { apply() {}, room() {}, connection() {} };

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
    startedAt: null, // when the broadcast started (ms, server clock): the replay's 0
    room: null, // the server's last room.status: {open, opensAt}
    offsetMs: 0, // server clock minus ours
  };
  let synced = false;
  let mode = readMode();
  let hls = null;
  let loaded = null; // the source being played: {kind, url}
  let audio = null; // the audio-only rendition of a stream: {of: its url, source}
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
    const wanted = PLAYABLE.has(state.status) && mode !== "text" ? wantedSource() : null;
    if (!sameSource(wanted, loaded)) {
      // Between a stream and its audio rendition, a replay goes on where it was.
      const carry = loaded && wanted && state.status === "replay" ? video.currentTime : 0;
      unload();
      if (wanted) load(wanted);
      if (wanted && carry > 0 && pendingSeek === null) seekWhenReady(carry);
    }
    renderModes();
    renderRoom();
    keepFocusUsable();
  }

  function audioOf(source) {
    return source && audio && audio.of === source.url ? audio.source : null;
  }

  function wantedSource() {
    if (mode === "audio") return audioOf(state.source) ?? state.source;
    return state.source;
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
    audioChoice.hidden = !audioOf(state.source) && mode !== "audio";
    audioNote.hidden = !(mode === "audio" && loaded);
    video.classList.toggle("player__video--audio", mode === "audio");
  }

  // -- the room -----------------------------------------------------------------------

  function serverNow() {
    return Date.now() + state.offsetMs;
  }

  // The server decides (room.status, pushed when the room opens or closes, the
  // end of the grace period included); the page only says when it will open.
  function roomState() {
    if (state.room === null) return "closed";
    if (state.room.open) return "open";
    if (state.room.opensAt !== null && serverNow() < state.room.opensAt) return "before";
    return "closed";
  }

  function renderRoom() {
    const room = roomState();
    root.dataset.room = room;
    if (room === "before") {
      roomNotice.textContent = format(strings.roomOpensAt, {
        time: clock.format(new Date(state.room.opensAt - state.offsetMs)),
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
    // hls.js announces MANIFEST_PARSED from within MANIFEST_LOADED, before this
    // page's own MANIFEST_LOADED listener runs: the choice is made here, after.
    hls.on(Hls.Events.MANIFEST_LOADED, (_event, data) => {
      if (source.audioOnly) return; // the rendition itself
      const rendition = data.levels.find(
        (level) => level.audioCodec && !level.videoCodec && !(level.width && level.height),
      );
      audio = rendition
        ? { of: source.url, source: { kind: "hls", url: rendition.url, audioOnly: true } }
        : null;
      if (mode === "audio" && audio) {
        Promise.resolve().then(render); // switch to the rendition, out of hls.js's event
        return;
      }
      if (mode === "audio") mode = "video"; // no audio rendition: the whole stream
      renderModes();
      start();
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      if (source.audioOnly) start();
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
    // Only the chapters' buttons: the minutes' broadcast times seek too (data-seek).
    for (const old of root.querySelectorAll(".agenda__item [data-seek]")) old.remove();
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

  // The broadcast time now, in seconds from its start (the minutes' "mark the
  // time"): the video's position in the replay, the time since the start live.
  el.broadcastPosition = () => {
    if (state.status === "replay") return loaded && video.readyState >= 1 ? video.currentTime : null;
    if (state.status !== "live" || state.startedAt === null) return null;
    return Math.max(0, (serverNow() - state.startedAt) / 1000);
  };

  // A link to a moment of the replay (the published minutes' times): #t=<seconds>,
  // followed once (not again at each reconnection's snapshot).
  let seekedHash = "";
  function seekFromHash() {
    const match = /^#t=(\d+)$/.exec(window.location.hash);
    if (!match || window.location.hash === seekedHash) return;
    seekedHash = window.location.hash;
    if (mode === "text") {
      mode = "video";
      render();
    }
    seekWhenReady(Number(match[1]));
  }
  window.addEventListener("hashchange", () => {
    seekedHash = "";
    if (state.status === "replay") seekFromHash();
  });

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
    state.startedAt = frame.started_at ? Date.parse(frame.started_at) : null;
    render();
    renderChapters();
    if (state.status === "replay") seekFromHash();
    if (synced && previous !== frame.status) {
      const said = { live: strings.started, ended: strings.ended, replay: strings.replay };
      if (said[frame.status]) announce(said[frame.status]);
    }
  }

  function apply(frame) {
    switch (frame.type) {
      case "stream.state":
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

  function room(frame) {
    const was = synced && state.room !== null ? state.room.open : null;
    state.room = {
      open: frame.open,
      opensAt: frame.opens_at === null ? null : Date.parse(frame.opens_at),
    };
    renderRoom();
    if (was !== null && was !== frame.open) {
      announce(frame.open ? strings.roomOpen : strings.roomClosed);
    }
  }

  window.setInterval(renderRoom, 15000);
  render();
  return { apply, room, connection() {} };
}
