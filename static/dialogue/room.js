// The live dialogue room: one websocket to /ws/dialogue/<id>/ (protocol: docs/protocol.md).
// The server renders every fragment; this script only places them, keeps drafts and unsent
// actions across drops and reloads, reconnects with backoff and announces new turns.
(function () {
  "use strict";

  function localizeTimes(root) {
    root.querySelectorAll("time.local-time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.textContent = el.dataset.format === "time"
        ? when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
        : when.toLocaleString([], { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    });
  }
  localizeTimes(document);
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  var room = document.getElementById("dialogue-room");
  if (!room || !("WebSocket" in window)) return;

  var id = room.dataset.dialogue;
  var me = Number(room.dataset.me);
  var transcript = document.getElementById("transcript");
  var panel = document.getElementById("panel");
  var progress = document.getElementById("progress");
  var statusEl = document.getElementById("connection");
  var presenceEl = document.getElementById("presence");
  var presenceNote = document.getElementById("presence-note");
  var othersHere = null; // names by id of the others present, once the first presence frame came
  var typingEl = document.getElementById("typing");
  var announcer = document.getElementById("announcer");
  var DRAFT_KEY = "imago-draft-" + id;
  var OUTBOX_KEY = "imago-outbox-" + id;
  var lastSeq = Number(room.dataset.lastSeq) || 0;
  var socket = null;
  var attempt = 0;
  var retryTimer = null;
  var lastTypingSent = 0;
  var typingTimer = null;
  var errorText = "";
  var carried = null; // the words of an action refused because the partner moved first
  var errorCode = "";
  var coachSending = false; // one coaching message in flight at a time
  var paused = false; // live updates paused: the server's channel layer (Redis) is down

  // sessionStorage, not localStorage: unsent words survive a reload in this tab, but on a shared
  // device they must not outlive it.
  var store = {
    get: function (key) { try { return window.sessionStorage.getItem(key); } catch (e) { return null; } },
    set: function (key, value) { try { window.sessionStorage.setItem(key, value); } catch (e) { /* blocked */ } },
    del: function (key) { try { window.sessionStorage.removeItem(key); } catch (e) { /* blocked */ } },
  };

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // A draft belongs to the place it was written for (step, round and role): a reload, a
  // reconnect or a time-out and resume bring it back; a later step never inherits it.
  function position() {
    var section = panel.querySelector("section.panel");
    return section ? [section.dataset.step, section.dataset.round, section.dataset.role].join("|") : "";
  }
  function draftHere() {
    try {
      var draft = JSON.parse(store.get(DRAFT_KEY) || "null");
      return draft && draft.pos === position() ? draft.text : null;
    } catch (e) { return null; }
  }
  function saveDraft(text) { store.set(DRAFT_KEY, JSON.stringify({ pos: position(), text: text })); }

  // Time-outs, resumes and stops have forms of their own; every other action comes from the box.
  function fromBox(message) {
    return message.action !== "timeout" && message.action !== "resume" && message.action !== "stop";
  }

  function pending() {
    try { return JSON.parse(store.get(OUTBOX_KEY) || "null"); } catch (e) { return null; }
  }

  function setStatus(state, text) {
    statusEl.dataset.state = state;
    statusEl.textContent = text;
  }
  statusEl.setAttribute("role", "status");

  // --- Connection -------------------------------------------------------------------------------

  function connect() {
    clearTimeout(retryTimer);
    if (!paused) setStatus("connecting", attempt ? "Reconnecting…" : "Connecting…");
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    // The last turn this page has: the server sends only what came after it.
    var ws = new WebSocket(scheme + window.location.host + room.dataset.wsPath + "?since=" + lastSeq);
    socket = ws;
    ws.onopen = function () {
      if (!paused) setStatus("connecting", "Catching up…");
    };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    ws.onclose = function (event) {
      if (socket !== ws) return;
      socket = null;
      if (event.code === 4403) {
        setStatus("offline", "Your access to this dialogue has ended.");
        return;
      }
      if (event.code === 4401) {
        setStatus("offline", "You were signed out. Sign in again to continue — your draft is kept in this tab.");
        return;
      }
      if (event.code === 4409) {
        attempt = 0; // your standing changed (you left the couple): reconnect at once to see it
        connect();
        return;
      }
      // Exponential backoff with jitter, capped at 15 s.
      var delay = Math.min(15000, 500 * Math.pow(2, attempt)) * (0.75 + Math.random() / 2);
      attempt += 1;
      if (event.code === 4503) {
        // The server cannot pass live updates on right now. It says so; turns sent meanwhile
        // are saved by a plain post, and everything missed arrives once live updates are back.
        paused = true;
        setStatus("paused", "Live updates paused — your partner’s new turns will show when they are back (trying again in " + Math.ceil(delay / 1000) + " s). Nothing you write is lost.");
      } else {
        setStatus("offline", "Connection lost — reconnecting in " + Math.ceil(delay / 1000) + " s. Nothing you write is lost.");
      }
      if (pending()) setSending(true);
      retryTimer = setTimeout(connect, delay);
    };
  }

  window.addEventListener("online", function () { if (!socket) connect(); });
  // Earlier turns loaded on demand (htmx) show their times in the reader's zone too.
  document.body.addEventListener("htmx:afterSettle", function () { localizeTimes(transcript); });

  // A starter the therapist suggested goes into the box, to be edited like any other.
  transcript.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.use-stem");
    var textarea = panel.querySelector("#turn-text");
    if (!button || !textarea) return;
    textarea.value = button.dataset.stem;
    saveDraft(textarea.value);
    textarea.focus();
  });

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  // --- Frames from the server -------------------------------------------------------------------

  function handle(frame) {
    if (frame.type === "state") applyState(frame);
    else if (frame.type === "turn") applyTurn(frame);
    else if (frame.type === "error") applyError(frame);
    else if (frame.type === "coaching") applyCoaching(frame);
    else if (frame.type === "presence") showPresence(frame.present);
    else if (frame.type === "typing") showTyping(frame.user);
  }

  function applyState(frame) {
    attempt = 0;
    paused = false;
    setStatus("online", "Live");
    if (frame.since !== null && frame.since !== undefined && frame.since <= lastSeq) {
      // A catch-up: only what this page is missing, added after what it has.
      frame.html.turns.forEach(function (html) { addItem(html); });
    } else {
      var html = (frame.html.earlier || "") + frame.html.turns.join("");
      transcript.innerHTML = html || '<li class="turn-empty muted" data-empty>Nothing said yet.</li>';
    }
    localizeTimes(transcript);
    lastSeq = frame.dialogue.last_seq;
    if (frame.html.progress) progress.innerHTML = frame.html.progress;
    renderPanel(frame.html.panel);
    showLatest();
    // An action sent just before a drop: resend it with the same id. The server applies it
    // once, or answers with the original result if it already had it.
    var waiting = pending();
    if (waiting && !frame.in_reply_to) {
      send(waiting);
      setSending(true);
    }
  }

  // A turn or coaching item, unless the page already shows it; the element added, or null.
  function addItem(html) {
    var holder = document.createElement("ol");
    holder.innerHTML = html.trim();
    var item = holder.firstElementChild;
    if (!item || (item.id && document.getElementById(item.id))) return null;
    var empty = transcript.querySelector("[data-empty]");
    if (empty) empty.remove();
    transcript.appendChild(item);
    localizeTimes(item);
    return item;
  }

  // What changed for this viewer: the server sends the panel and the progress only then.
  function applyChanges(html) {
    if (html.progress) progress.innerHTML = html.progress;
    if (html.panel) renderPanel(html.panel);
  }

  // The watching therapist's prompt, time-out or timer: not a turn, so it never moves lastSeq.
  function applyCoaching(frame) {
    var added = addItem(frame.html.item);
    if (added) announcer.textContent = added.textContent.replace(/\s+/g, " ").trim();
    if (frame.in_reply_to) coachSending = false;
    applyChanges(frame.html);
    showLatest(); // a prompt, like a turn, stays readable above a phone's panel
  }

  function observing() {
    var section = panel.querySelector("section.panel");
    return section && section.dataset.role === "observer";
  }

  function applyTurn(frame) {
    var turn = frame.turn;
    var waiting = pending();
    if (waiting && frame.in_reply_to === waiting.msg_id) {
      store.del(OUTBOX_KEY);
      if (fromBox(waiting)) store.del(DRAFT_KEY); // a time-out or resume leaves the box alone
      errorText = "";
    }
    if (document.getElementById("turn-" + turn.seq)) {
      if (frame.replay) applyChanges(frame.html);
      return;
    }
    if (turn.seq > lastSeq + 1) {
      // We missed something: ask for what came after the last turn we have.
      send({ type: "sync", msg_id: newId(), since: lastSeq });
      return;
    }
    var added = addItem(frame.html.turn);
    lastSeq = turn.seq;
    if (turn.author.id !== me && errorCode !== "conflict") errorText = "";
    applyChanges(frame.html);
    typingEl.textContent = "";
    if (added) announcer.textContent = added.textContent.replace(/\s+/g, " ").trim();
    showLatest();
  }

  // On a phone the panel sticks to the bottom of the screen (dialogue.css): scroll so that the
  // latest turn sits just above it rather than behind it.
  function showLatest() {
    var last = transcript.lastElementChild;
    var box = panel.querySelector("section.panel");
    if (!last || !box) return;
    var hidden = last.getBoundingClientRect().bottom - (window.innerHeight - box.offsetHeight) + 8;
    if (hidden > 0) window.scrollBy(0, hidden);
  }

  function applyError(frame) {
    coachSending = false;
    var waiting = pending();
    if (waiting && frame.in_reply_to === waiting.msg_id) {
      store.del(OUTBOX_KEY); // refused: the words stay in the box (and in the saved draft)
      setSending(false);
    }
    if (frame.code === "conflict" && waiting && fromBox(waiting) && waiting.text) carried = waiting.text;
    errorText = frame.message;
    errorCode = frame.code;
    showError();
  }

  function showError() {
    var box = document.getElementById("turn-error");
    if (!box) return;
    box.textContent = errorText;
    box.hidden = !errorText;
  }

  function showPresence(people) {
    var others = people.filter(function (person) { return person.id !== me; });
    noteComings(others);
    var partners = others.filter(function (p) { return p.role !== "observer"; });
    var watching = others.filter(function (p) { return p.role === "observer"; });
    var parts = [];
    if (partners.length) parts.push(partners.map(function (p) { return p.name; }).join(" and ") + " here now");
    else parts.push(observing() ? "Neither partner is here yet" : "Your partner isn’t here yet");
    // Partners always see when their therapist is watching.
    watching.forEach(function (p) { parts.push(p.name + " (your therapist) is watching"); });
    presenceEl.textContent = parts.join(" · ");
  }

  // A step timer is a display, not a rule: show what is left, and "time's up" after.
  function tickTimers() {
    panel.querySelectorAll(".timer[data-ends]").forEach(function (el) {
      var left = Math.round((new Date(el.dataset.ends) - Date.now()) / 1000);
      var out = el.querySelector(".timer-left");
      if (!out || isNaN(left)) return;
      out.textContent = left > 0
        ? Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2) + " left"
        : "Time’s up — a guide, not a rule.";
    });
  }
  setInterval(tickTimers, 1000);

  // "Bob joined" / "Bob left": who came or went since the last presence frame.
  function noteComings(others) {
    var now = {};
    others.forEach(function (person) { now[person.id] = person.name; });
    if (othersHere !== null && presenceNote) {
      var notes = [];
      Object.keys(now).forEach(function (pid) { if (!(pid in othersHere)) notes.push(now[pid] + " joined"); });
      Object.keys(othersHere).forEach(function (pid) { if (!(pid in now)) notes.push(othersHere[pid] + " left"); });
      if (notes.length) presenceNote.textContent = notes.join(", ");
    }
    othersHere = now;
  }

  function showTyping(user) {
    typingEl.textContent = user.name + " is typing…";
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingEl.textContent = ""; }, 4000);
  }

  // --- The panel: whose move, stems, the text box -----------------------------------------------

  function renderPanel(html) {
    var hadFocus = panel.contains(document.activeElement);
    panel.innerHTML = html;
    localizeTimes(panel);
    wirePanel();
    carried = null; // offered to this panel's box only, never to a later step's
    showError();
    if (pending()) setSending(true);
    if (hadFocus) {
      var target = panel.querySelector("#turn-text") || panel.querySelector(".panel-status");
      if (target.classList.contains("panel-status")) target.setAttribute("tabindex", "-1");
      target.focus();
    }
  }

  function setSending(on) {
    var button = panel.querySelector("#turn-submit");
    if (!button) return;
    button.disabled = on;
    var form = panel.querySelector("#turn-form");
    var choice = form && chosen(form);
    button.textContent = on
      ? (socket ? "Sending…" : paused ? "Will send when live updates are back…" : "Will send when reconnected…")
      : (choice && choice.dataset.label) || button.textContent;
  }

  function chosen(form) {
    var radio = form.querySelector('input[name="action"]:checked') || form.querySelector('input[name="action"]');
    return radio;
  }

  function syncChoice(form, textarea, previousStem) {
    var choice = chosen(form);
    if (!choice) return;
    if (textarea && (textarea.value.trim() === "" || textarea.value === previousStem)) {
      textarea.value = choice.dataset.stem || "";
    }
    form.querySelectorAll(".stems").forEach(function (list) {
      list.hidden = list.dataset.for !== choice.value;
    });
    // The button names the chosen action ("Send my mirror", "Yes, that's it").
    var button = form.querySelector("#turn-submit");
    if (button && choice.dataset.label) button.textContent = choice.dataset.label;
    var time = form.querySelector("[data-time-field]");
    if (time) time.hidden = choice.dataset.time !== "1";
    var optional = form.querySelector('label[for="turn-text"] .muted');
    var label = form.querySelector('label[for="turn-text"]');
    if (label) {
      if (optional) optional.remove();
      if (choice.dataset.needsText !== "1") {
        var note = document.createElement("span");
        note.className = "muted";
        note.textContent = " (optional)";
        label.appendChild(note);
      }
    }
  }

  function countChars(textarea) {
    var count = document.getElementById("turn-count");
    // The limit comes from the server (the textarea's maxlength); warn in its last eighth.
    var limit = textarea.maxLength;
    if (count) count.textContent = limit > 0 && textarea.value.length > limit * 7 / 8 ? (limit - textarea.value.length) + " characters left" : "";
  }

  function wirePanel() {
    var form = panel.querySelector("#turn-form");
    var textarea = panel.querySelector("#turn-text");
    if (form && textarea) {
      var draft = draftHere();
      if (carried !== null) {
        draft = carried; // the partner moved first: the words move on to the new step's box
        carried = null;
        saveDraft(draft);
      }
      if (draft !== null) textarea.value = draft;
      var stem = chosen(form) ? chosen(form).dataset.stem : "";
      syncChoice(form, null, stem);
      form.querySelectorAll('input[name="action"]').forEach(function (radio) {
        radio.addEventListener("change", function () {
          syncChoice(form, textarea, stem);
          stem = chosen(form).dataset.stem || "";
        });
      });
      form.querySelectorAll("button.stem").forEach(function (button) {
        button.addEventListener("click", function () {
          textarea.value = button.dataset.stem;
          saveDraft(textarea.value);
          textarea.focus();
          textarea.setSelectionRange(textarea.value.length, textarea.value.length);
        });
      });
      textarea.addEventListener("input", function () {
        saveDraft(textarea.value);
        countChars(textarea);
        typingPing();
      });
      textarea.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
    }
    panel.querySelectorAll("form.coach-form").forEach(function (each) {
      each.addEventListener("submit", function (event) {
        if (!socket) return; // no socket: the plain post does the same
        event.preventDefault();
        if (coachSending) return;
        var data = new FormData(each);
        var minutes = data.get("minutes");
        coachSending = send({
          type: "coach",
          msg_id: newId(),
          kind: data.get("kind"),
          text: data.get("text") || "",
          seconds: minutes === null ? null : Number(minutes) * 60,
        });
      });
    });
    tickTimers();
    panel.querySelectorAll("form.turn-form").forEach(function (each) {
      each.addEventListener("submit", function (event) {
        if (!socket && (paused || attempt >= 3) && !pending()) {
          // Live updates are paused, or the socket has stayed down (a proxy without
          // websockets, say): post the form the plain way instead, which saves the turn and
          // shows it. Its msg_id still makes a double submit harmless.
          var seq = each.querySelector('input[name="last_seq"]');
          if (seq) seq.value = lastSeq;
          return;
        }
        event.preventDefault();
        submit(each);
      });
    });
  }

  // "Partner is typing": at most one hint every 2 s, and a trailing one so a burst is not missed.
  var typingTrail = null;
  function typingPing() {
    var wait = 2000 - (Date.now() - lastTypingSent);
    if (wait <= 0) {
      lastTypingSent = Date.now();
      send({ type: "typing", msg_id: newId() });
    } else if (!typingTrail) {
      typingTrail = setTimeout(function () { typingTrail = null; typingPing(); }, wait);
    }
  }

  function submit(form) {
    if (pending()) return; // one action in flight at a time
    var data = new FormData(form);
    var at = data.get("at");
    var message = {
      type: "action",
      msg_id: newId(),
      action: data.get("action"),
      text: data.get("text") || "",
      at: at ? new Date(at).toISOString() : null,
      last_seq: lastSeq,
    };
    if (form.id === "turn-form") saveDraft(message.text);
    store.set(OUTBOX_KEY, JSON.stringify(message));
    errorText = "";
    showError();
    setSending(true);
    send(message);
  }

  document.addEventListener("visibilitychange", function () {
    // Phones suspend sockets in the background; reconnect at once when the page is back.
    if (document.visibilityState === "visible" && !socket) connect();
  });

  // The server-rendered panel is live at once: words typed before the socket catches up are
  // saved as a draft and survive the first re-render.
  wirePanel();
  showLatest();
  connect();
})();
