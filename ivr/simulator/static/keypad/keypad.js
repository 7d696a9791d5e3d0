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

  // The picture of the flow, with the node the caller is at highlighted (from the step's `node`), and
  // named in words (the step's `where`). It zooms and moves by changing the SVG's viewBox: the wheel
  // zooms around the pointer, a drag moves it, and, while "Follow the caller" is ticked, each step
  // shows the caller's node with the nodes just before and after it (light edges, 0 * # and silence, left out).
  const picture = $("flow-picture");
  let here = null, svg = null, whole = null;
  function box(b) {
    if (!svg) return;
    svg.setAttribute("viewBox", [b.x, b.y, b.width, b.height].map((n) => n.toFixed(2)).join(" "));
  }
  function current() {
    const v = svg.viewBox.baseVal;
    return { x: v.x, y: v.y, width: v.width, height: v.height };
  }
  function zoom(factor, cx, cy) { // factor < 1 zooms in, around (cx, cy) in the picture's units
    const b = current();
    box({ x: cx - (cx - b.x) * factor, y: cy - (cy - b.y) * factor, width: b.width * factor, height: b.height * factor });
  }
  function toPicture(clientX, clientY) {
    const point = new DOMPoint(clientX, clientY).matrixTransform(svg.getScreenCTM().inverse());
    return { x: point.x, y: point.y };
  }
  function bounds(group) { // a node's box in the picture's units (Graphviz draws inside a translated group)
    const b = group.getBBox(), m = svg.getScreenCTM().inverse().multiply(group.getScreenCTM());
    const a = new DOMPoint(b.x, b.y).matrixTransform(m), c = new DOMPoint(b.x + b.width, b.y + b.height).matrixTransform(m);
    return { x: Math.min(a.x, c.x), y: Math.min(a.y, c.y), width: Math.abs(c.x - a.x), height: Math.abs(c.y - a.y) };
  }
  function neighbours(node) { // the node, and the nodes an option, a code or a failed transfer leads to or from
    const near = new Set([node]);
    svg.querySelectorAll("g.edge:not(.light) > title").forEach((title) => {
      const [tail, head] = title.textContent.split("->").map((end) => end.split(":")[0]);
      if (tail === node) near.add(head);
      if (head === node) near.add(tail);
    });
    return [...near].map((id) => svg.querySelector('g.node[id="node-' + CSS.escape(id) + '"]')).filter(Boolean);
  }
  function focus(node) {
    const groups = neighbours(node);
    if (!groups.length) return;
    const all = groups.map(bounds), pad = 20;
    const x = Math.min(...all.map((b) => b.x)) - pad, y = Math.min(...all.map((b) => b.y)) - pad;
    const right = Math.max(...all.map((b) => b.x + b.width)) + pad, bottom = Math.max(...all.map((b) => b.y + b.height)) + pad;
    box({ x, y, width: right - x, height: bottom - y });
  }
  function locate(node, where) {
    here = node;
    picture.querySelectorAll("g.node.here").forEach((g) => g.classList.remove("here"));
    const line = $("where");
    if (!node) line.textContent = "Not in a call.";
    else {
      const words = document.createElement(where && where.known ? "strong" : "span");
      words.textContent = where ? where.words : node;
      if (!(where && where.known)) words.className = "gone";
      const id = document.createElement("small");
      id.className = "id";
      id.textContent = where && where.known ? node : "(no longer in the flow)";
      line.replaceChildren("At ", words, " ", id, ".");
    }
    const group = node && svg && svg.querySelector('g.node[id="node-' + CSS.escape(node) + '"]');
    if (group) {
      group.classList.add("here");
      if ($("follow").checked) focus(node);
    }
  }
  let last = null; // where the caller is, in words, for a picture that arrives after the first step
  fetch("/simulator/flow.svg").then((r) => (r.ok ? r.text() : Promise.reject(new Error(r.statusText))))
    .then((text) => {
      const drawn = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
      svg = document.importNode(drawn, true);
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
      picture.replaceChildren(svg);
      whole = current();
      locate(here, last);
    })
    .catch(() => { picture.textContent = "No picture of the flow (Graphviz is not installed on the server)."; });
  picture.addEventListener("wheel", (event) => {
    if (!svg) return;
    event.preventDefault();
    const p = toPicture(event.clientX, event.clientY);
    zoom(Math.exp(Math.max(-1, Math.min(1, event.deltaY / 300))), p.x, p.y);
  }, { passive: false });
  let drag = null;
  picture.addEventListener("pointerdown", (event) => {
    if (!svg || event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, from: current(), scale: 1 / svg.getScreenCTM().a };
    svg.classList.add("dragging");
    picture.setPointerCapture(event.pointerId);
  });
  picture.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const b = drag.from;
    box({ ...b, x: b.x - (event.clientX - drag.x) * drag.scale, y: b.y - (event.clientY - drag.y) * drag.scale });
  });
  const drop = () => { drag = null; if (svg) svg.classList.remove("dragging"); };
  picture.addEventListener("pointerup", drop);
  picture.addEventListener("pointercancel", drop);
  function middle() { const b = current(); return [b.x + b.width / 2, b.y + b.height / 2]; }
  $("zoom-in").addEventListener("click", () => { if (svg) zoom(0.7, ...middle()); });
  $("zoom-out").addEventListener("click", () => { if (svg) zoom(1 / 0.7, ...middle()); });
  $("zoom-all").addEventListener("click", () => { if (whole) box(whole); });
  $("follow").addEventListener("change", () => { if (svg && here && $("follow").checked) focus(here); });

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
      last = answer.where;
      locate(answer.node, answer.where);
      if (answer.error) status.textContent = "The call failed: " + answer.error;
      else if (answer.ended) status.textContent = "Call ended (" + answer.ended + ").";
    } catch (error) {
      state = null; waiting = null;
      last = null;
      locate(null, null);
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
