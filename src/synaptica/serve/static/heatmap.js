// Heat-maps drawn from the server's {shape, low, high, pixels} (pixels 0-255, C order), shared by the pages.
"use strict";

// 256 colours from dark blue through red to pale yellow (a perceptual ramp like matplotlib's "inferno").
const RAMP = (() => {
  const stops = [[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21],
                 [250, 193, 39], [252, 255, 164]];
  const table = [];
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (stops.length - 1), k = Math.min(Math.floor(t), stops.length - 2), f = t - k;
    table.push(stops[k].map((a, j) => Math.round(a + f * (stops[k + 1][j] - a))));
  }
  return table;
})();
// Blue for negative, white for zero, red for positive: weights (pixel 128 is zero).
const DIVERGING = (() => {
  const table = [];
  for (let i = 0; i < 256; i++) {
    const f = Math.abs(i - 127.5) / 127.5, w = Math.round(255 * (1 - f));
    table.push(i < 128 ? [w, w, 255] : [255, w, w]);
  }
  return table;
})();
const GREY = Array.from({length: 256}, (_, i) => [i, i, i]);

// The tiles of a heat-map: [C, H, W] gives C maps of H x W; [H, W] one map; [n] one near-square map.
function tiles(shape) {
  if (shape.length === 3) return {count: shape[0], h: shape[1], w: shape[2]};
  if (shape.length === 2) return {count: 1, h: shape[0], w: shape[1]};
  const n = shape[0], w = Math.ceil(Math.sqrt(n));
  return {count: 1, h: Math.ceil(n / w), w: w, flat: n};
}

// Draw heat-map `map` on `canvas`, each tile `scale` canvas pixels a value, tiles in a near-square grid.
function drawHeatMap(canvas, map, scale, colours) {
  colours = colours || RAMP;
  const t = tiles(map.shape), columns = Math.ceil(Math.sqrt(t.count)), rows = Math.ceil(t.count / columns);
  const gap = t.count > 1 ? 1 : 0;
  const width = columns * (t.w + gap) - gap, height = rows * (t.h + gap) - gap;
  const image = new ImageData(width, height);
  image.data.fill(255);
  const size = t.h * t.w, pixels = pixelsOf(map);
  for (let c = 0; c < t.count; c++) {
    const x0 = (c % columns) * (t.w + gap), y0 = Math.floor(c / columns) * (t.h + gap);
    for (let i = 0; i < size; i++) {
      const index = c * size + i;
      if (t.flat !== undefined && index >= t.flat) break;
      const colour = colours[pixels[index]], p = 4 * ((y0 + Math.floor(i / t.w)) * width + x0 + (i % t.w));
      image.data[p] = colour[0]; image.data[p + 1] = colour[1]; image.data[p + 2] = colour[2];
    }
  }
  const scratch = document.createElement("canvas");
  scratch.width = width; scratch.height = height;
  scratch.getContext("2d").putImageData(image, 0, 0);
  canvas.width = width * scale; canvas.height = height * scale;
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = false;
  context.drawImage(scratch, 0, 0, canvas.width, canvas.height);
}

// The heat-map's pixels as bytes (the server sends them base64-encoded, one byte a value).
function pixelsOf(map) {
  if (typeof map.pixels === "string") {
    const text = atob(map.pixels), bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    map.pixels = bytes;
  }
  return map.pixels;
}

// A scale that makes a heat-map about `target` canvas pixels wide (at least 1).
function fitScale(shape, target) {
  const t = tiles(shape), columns = Math.ceil(Math.sqrt(t.count));
  return Math.max(1, Math.floor(target / (columns * (t.w + 1))));
}
