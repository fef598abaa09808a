// The drawing page: strokes on a canvas, sent to POST /api/predict as they are drawn.
"use strict";

const pad = document.getElementById("pad"), pen = pad.getContext("2d");
const state = {classes: [], busy: false, pending: false, drawing: false, last: null, predictions: 0};

function clearPad() {
  pen.fillStyle = "black";
  pen.fillRect(0, 0, pad.width, pad.height);
}

function point(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
}

function stroke(from, to) {
  pen.strokeStyle = "white"; pen.lineWidth = pad.width / 14; pen.lineCap = "round"; pen.lineJoin = "round";
  pen.beginPath(); pen.moveTo(from[0], from[1]); pen.lineTo(to[0], to[1]); pen.stroke();
}

// The canvas as rows of grey levels in [0, 1] (the red channel: strokes are white on black).
function drawing() {
  const data = pen.getImageData(0, 0, pad.width, pad.height).data, rows = [];
  for (let y = 0; y < pad.height; y++) {
    const row = new Array(pad.width);
    for (let x = 0; x < pad.width; x++) row[x] = Math.round(data[4 * (y * pad.width + x)] / 2.55) / 100;
    rows.push(row);
  }
  return rows;
}

function showError(text) { document.getElementById("error").textContent = text || ""; }

function show(answer, sentAt) {
  if (sentAt !== undefined) document.getElementById("latency").textContent = `answered in ${Math.round(performance.now() - sentAt)} ms`;
  const guess = document.getElementById("guess"), bars = document.getElementById("bars");
  guess.textContent = `${answer.name} (${(100 * answer.probabilities[answer.label]).toFixed(1)} %)`;
  guess.dataset.label = answer.label;
  bars.innerHTML = "";
  answer.probabilities.forEach((p, k) => {
    const bar = document.createElement("div");
    bar.className = "bar" + (k === answer.label ? " top" : "");
    bar.innerHTML = `<span class="name"></span><span class="track"><div class="fill"></div></span><span class="value"></span>`;
    bar.querySelector(".name").textContent = state.classes[k] || `class ${k}`;
    bar.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    bar.querySelector(".value").textContent = `${(100 * p).toFixed(1)}%`;
    bars.appendChild(bar);
  });
  if (answer.input) {
    drawHeatMap(document.getElementById("input"), answer.input, 4, GREY);
    drawHeatMap(document.getElementById("saliency"), answer.saliency, 4);
    const layers = document.getElementById("layers");
    layers.innerHTML = "";
    for (const map of Object.values(answer.layers)) {
      const box = document.createElement("div"), title = document.createElement("div"), canvas = document.createElement("canvas");
      box.className = "layer"; canvas.className = "pixels layer-map";
      title.textContent = `${map.name}: ${map.shape.join(" × ")}, ${map.low.toFixed(2)} to ${map.high.toFixed(2)}`;
      drawHeatMap(canvas, map, fitScale(map.shape, 300));
      box.appendChild(title); box.appendChild(canvas); layers.appendChild(box);
    }
  }
  state.predictions += 1;
  document.body.dataset.predictions = state.predictions;
}

async function ask(url, body, type) {
  const response = await fetch(url, {method: "POST", body: body, headers: {"Content-Type": type}});
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

// One request at a time: strokes made meanwhile are sent as soon as the answer is in.
async function predict() {
  if (state.busy) { state.pending = true; return; }
  state.busy = true;
  try {
    const sentAt = performance.now();
    show(await ask("/api/predict", JSON.stringify({drawing: drawing()}), "application/json"), sentAt);
    showError("");
  } catch (error) {
    showError(error.message);
  } finally {
    state.busy = false;
    if (state.pending) { state.pending = false; predict(); }
  }
}

pad.addEventListener("pointerdown", event => {
  pad.setPointerCapture(event.pointerId);
  state.drawing = true; state.last = point(event);
  stroke(state.last, state.last); predict();
});
pad.addEventListener("pointermove", event => {
  if (!state.drawing) return;
  const next = point(event);
  stroke(state.last, next); state.last = next; predict();
});
for (const name of ["pointerup", "pointercancel"]) pad.addEventListener(name, () => { state.drawing = false; predict(); });
document.getElementById("clear").addEventListener("click", () => { clearPad(); predict(); });
document.getElementById("upload").addEventListener("change", async event => {
  const file = event.target.files[0];
  if (!file) return;
  try {
    show(await ask("/api/predict.png", await file.arrayBuffer(), "image/png"));
    showError("");
  } catch (error) {
    showError(error.message);
  }
  event.target.value = "";
});

clearPad();
fetch("/api/info").then(r => r.json()).then(info => {
  state.classes = info.classes;
  document.getElementById("model").textContent = `${info.dataset || ""} model, framed in a ${info.framing.box}-pixel box ` +
    `(centred by ${info.framing.centre === "mass" ? "centre of mass" : "bounding box"})`;
});
