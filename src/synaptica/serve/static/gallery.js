// The gallery: random test images from GET /api/samples with the model's guesses.
"use strict";

let seed = 0;

async function load() {
  const mistakes = document.getElementById("mistakes").checked ? 1 : 0;
  const response = await fetch(`/api/samples?count=40&seed=${seed}&mistakes=${mistakes}`);
  const answer = await response.json();
  const gallery = document.getElementById("gallery");
  document.getElementById("error").textContent = response.ok ? "" : answer.error;
  if (!response.ok) return;
  document.getElementById("summary").textContent =
    `test accuracy ${(100 * answer.accuracy).toFixed(2)} % (${answer.mistakes} mistakes in ${answer.total})`;
  gallery.innerHTML = "";
  for (const item of answer.items) {
    const box = document.createElement("div"), canvas = document.createElement("canvas"), text = document.createElement("div");
    box.className = "item" + (item.label === item.guess ? "" : " wrong");
    drawHeatMap(canvas, {shape: [answer.side, answer.side], pixels: item.pixels}, 3, GREY);
    text.textContent = `${item.label_name} → ${item.guess_name}`;
    box.title = `test image ${item.index}`;
    box.appendChild(canvas); box.appendChild(text); gallery.appendChild(box);
  }
  document.body.dataset.loaded = String(seed);
}

document.getElementById("more").addEventListener("click", () => { seed += 1; load(); });
document.getElementById("mistakes").addEventListener("change", load);
load();
