// The live training page: the run's events from GET /api/events (server-sent events), drawn as they come.
"use strict";

const rows = [];
const COLOURS = {train: "#3b6fb6", validation: "#d4483f", test: "#2a9d4a"};

// Line chart of the series `names` of `rows` on `canvas`.
function chart(canvas, names) {
  const c = canvas.getContext("2d"), W = canvas.width, H = canvas.height, L = 48, B = 28, T = 10, R = 130;
  c.clearRect(0, 0, W, H);
  const values = rows.flatMap(row => names.map(n => row[n]).filter(v => v !== null && v !== undefined));
  if (!values.length) return;
  let low = Math.min(...values), high = Math.max(...values);
  if (high === low) { high += 0.5; low -= 0.5; }
  const epochs = Math.max(rows.length - 1, 1);
  const x = e => L + (W - L - R) * e / epochs, y = v => T + (H - T - B) * (high - v) / (high - low);
  c.strokeStyle = "#999"; c.fillStyle = "#333"; c.font = "11px sans-serif";
  c.beginPath(); c.moveTo(L, T); c.lineTo(L, H - B); c.lineTo(W - R, H - B); c.stroke();
  for (let i = 0; i <= 4; i++) { const v = low + (high - low) * i / 4; c.fillText(v.toFixed(3), 2, y(v) + 4); }
  c.fillText("epoch", (W - R) / 2, H - 4);
  rows.forEach((row, e) => { if (rows.length <= 20 || e % Math.ceil(rows.length / 10) === 0) c.fillText(String(row.epoch), x(e) - 3, H - B + 12); });
  names.forEach((name, k) => {
    c.strokeStyle = COLOURS[name.split("_")[0]] || "#555"; c.lineWidth = 2; c.beginPath();
    let started = false;
    rows.forEach((row, e) => {
      const v = row[name];
      if (v === null || v === undefined) return;
      if (started) c.lineTo(x(e), y(v)); else { c.moveTo(x(e), y(v)); started = true; }
      c.fillRect(x(e) - 2, y(v) - 2, 4, 4);
    });
    c.stroke();
    c.fillStyle = c.strokeStyle; c.fillText(name, W - R + 6, T + 14 * (k + 1));
  });
}

function table() {
  const element = document.getElementById("rows");
  const names = Object.keys(rows[0]);
  element.innerHTML = "<tr>" + names.map(n => `<th>${n}</th>`).join("") + "</tr>" + rows.map(row =>
    "<tr>" + names.map(n => `<td>${typeof row[n] === "number" ? +row[n].toFixed(4) : (row[n] ?? "")}</td>`).join("") + "</tr>").join("");
}

function series(suffix) { return Object.keys(rows[0] || {}).filter(name => name.endsWith(suffix)); }

function receive(event) {
  if (event.filters) drawHeatMap(document.getElementById("filters"), event.filters, fitScale(event.filters.shape, 300), DIVERGING);
  if (event.kind === "epoch") {
    rows.push(event.row);
    chart(document.getElementById("cost"), series("_cost"));
    chart(document.getElementById("accuracy"), series("_accuracy"));
    table();
    document.getElementById("status").textContent = `epoch ${event.row.epoch} done`;
    document.body.dataset.epochs = rows.length;
  }
  if (event.kind === "end") document.getElementById("status").textContent =
    `training finished after ${rows.length} epochs` + (event.reason ? `: ${event.reason}` : "");
}

fetch("/api/run").then(r => r.json()).then(run => {
  document.getElementById("title").textContent = `Live training: ${run.title}`;
  document.getElementById("settings").textContent = Object.entries(run.settings).map(([k, v]) => `${k} ${v}`).join(", ");
  document.title = `synaptica: ${run.title}`;
});
const source = new EventSource("/api/events");
source.onmessage = message => receive(JSON.parse(message.data));
source.addEventListener("finished", () => { source.close(); document.body.dataset.finished = "1"; });
