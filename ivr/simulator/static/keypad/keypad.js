// The keypad page: each step posts what the caller does, with the state the server last gave.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const status = $("status"), transcript = $("transcript"), entry = $("entry");
  const keys = document.querySelectorAll("#keypad button");
  let state = null, waiting = null, typed = "", busy = false;

  // What the caller hears, one after the other: speech for <Say>, the recording for <Play>.
  let queue = Promise.resolve(), heard = 0, playing = null;
  function hear(event) {
    if (!$("speak").checked || !["say", "play", "whisper"].includes(event.kind)) return; // the whisper: what the platform hears
    const mine = heard;
    queue = queue.then(() => new Promise((done) => {
      if (mine !== heard) return done();
      if (event.kind === "play") {
        playing = new Audio(event.text);
        playing.onended = playing.onerror = done;
        playing.play().catch(done);
      } else if ("speechSynthesis" in window) {
        const utterance = new SpeechSynthesisUtterance(event.text);
        utterance.lang = "fr-FR";
        utterance.onend = utterance.onerror = done;
        window.speechSynthesis.speak(utterance);
      } else done();
    }));
  }
  function hush() { // a key cuts the prompt, as on a phone
    heard += 1;
    queue = Promise.resolve();
    if ("speechSynthesis" in window) window.speechSynthesis.cancel();
    if (playing) playing.pause();
  }

  function show(event) {
    const item = document.createElement("li");
    item.className = event.kind;
    const at = document.createElement("span");
    at.className = "at";
    at.textContent = event.at.toFixed(1) + " s";
    const verb = document.createElement("span");
    verb.className = "verb";
    verb.textContent = event.label;
    item.append(at, verb, document.createTextNode(event.text));
    transcript.append(item);
    item.scrollIntoView({ block: "nearest" });
    hear(event);
  }

  // The picture of the flow, with the node the caller is at highlighted (from the step's `node`).
  const picture = $("flow-picture");
  let here = null;
  function locate(node) {
    here = node;
    picture.querySelectorAll("g.node.here").forEach((g) => g.classList.remove("here"));
    $("where").textContent = node ? "At " + node + "." : "Not in a call.";
    const group = node && picture.querySelector('g.node[id="node-' + CSS.escape(node) + '"]');
    if (group) {
      group.classList.add("here");
      group.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  }
  function draw() {
    fetch("/simulator/flow.svg").then((r) => (r.ok ? r.text() : Promise.reject(new Error(r.statusText))))
      .then((text) => {
        const svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
        picture.replaceChildren(document.importNode(svg, true));
        locate(here);
      })
      .catch(() => { picture.textContent = "No picture of the flow (Graphviz is not installed on the server)."; });
  }
  draw();

  // The files as they are now (`ivr serve` follows their edits): their problems until a good edit
  // clears them, and the picture drawn again each time the flow is loaded again.
  let loaded = 0;
  async function files() {
    try {
      const response = await fetch("/simulator/files");
      if (!response.ok) return;
      const answer = await response.json();
      $("problem-list").replaceChildren(...answer.problems.map((problem) => {
        const item = document.createElement("li");
        item.textContent = problem;
        return item;
      }));
      $("problems").hidden = answer.problems.length === 0;
      if (answer.loaded !== loaded) { loaded = answer.loaded; draw(); }
    } catch (error) { /* the server is restarting: ask again at the next tick */ }
  }
  files();
  setInterval(files, 2000);

  function render() {
    const inCall = waiting !== null;
    $("call").disabled = inCall || busy;
    $("hangup").disabled = !inCall || busy;
    const gathering = inCall && waiting.kind === "gather" && !busy;
    keys.forEach((b) => { b.disabled = !gathering; });
    $("silence").disabled = !gathering;
    $("say").disabled = $("say-it").disabled = !gathering;
    const listens = gathering && waiting.speech;
    $("say-hint").textContent = !gathering ? ""
      : listens ? "This menu listens to speech" + (waiting.hints.length ? ", expecting: " + waiting.hints.join(", ") : "") + "."
        : "This menu does not listen to speech: Twilio hears silence.";
    $("hints").replaceChildren(...(listens ? waiting.hints : []).map((hint) => new Option(hint)));
    $("transfer").hidden = !(inCall && waiting.kind === "dial");
    entry.textContent = typed ? "Keys: " + typed : "";
    if (!inCall) return;
    status.textContent = waiting.kind === "dial"
      ? "Ringing " + waiting.numbers.join(", ") + ": choose how the transfer ends."
      : "The menu waits for " + (waiting.numDigits ? waiting.numDigits + " key(s)" : "keys")
        + (waiting.speech ? " or words" : "") + " (" + waiting.timeout + " s of silence, then it times out).";
  }

  async function step(body) {
    busy = true;
    render();
    try {
      const response = await fetch("/simulator/step", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...body, state, at: $("clock").value || null }),
      });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.error || response.statusText);
      answer.events.forEach(show);
      state = answer.state;
      waiting = answer.waiting;
      locate(answer.node);
      if (answer.error) status.textContent = "The call failed: " + answer.error;
      else if (answer.ended) status.textContent = "Call ended (" + answer.ended + ").";
    } catch (error) {
      state = null; waiting = null;
      locate(null);
      status.textContent = "The simulator failed: " + error.message;
    } finally {
      busy = false;
      typed = "";
      render();
    }
  }

  function press(key) {
    if (!waiting || waiting.kind !== "gather" || busy) return;
    hush();
    const finish = waiting.finishOnKey;
    if (finish && key === finish) { step({ action: "keys", keys: typed + key }); return; }
    typed += key;
    render();
    if (!waiting.numDigits || typed.length >= waiting.numDigits) step({ action: "keys", keys: typed });
  }

  $("call").addEventListener("click", () => {
    transcript.replaceChildren();
    state = null;
    status.textContent = "Calling…";
    step({ action: "start" });
  });
  $("hangup").addEventListener("click", () => {
    hush();
    step({ action: "hangup" });
  });
  // Silence: the menu times out; keys typed so far are sent, as Twilio does on a timeout.
  $("silence").addEventListener("click", () => step(typed ? { action: "keys", keys: typed } : { action: "silence" }));
  keys.forEach((b) => b.addEventListener("click", () => press(b.dataset.key)));
  // Words: sent even to a menu that does not listen to speech (the simulator hears silence there, as Twilio does).
  $("words").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!waiting || waiting.kind !== "gather" || busy) return;
    hush();
    const words = $("say").value.trim();
    $("say").value = "";
    await step({ action: "say", words });
    if (!$("say").disabled) $("say").focus();
  });
  document.querySelectorAll("#transfer button").forEach((b) =>
    b.addEventListener("click", () => step({ action: "dial", status: b.dataset.status })));
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement || event.ctrlKey || event.metaKey || event.altKey) return;
    if ("0123456789*#".includes(event.key) && event.key.length === 1) { event.preventDefault(); press(event.key); }
  });
  render();
})();
