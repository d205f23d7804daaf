// A scrolling spectrogram from the server's binary columns (8-bit dB, docs/events.md): each column
// is drawn when its audio is heard, at the right edge, the image moving left 2 px per column.
// Rows map to bins on a log frequency axis from 40 Hz to the top bin.
import { css_var } from "../dom.js";

const COLUMN_PX = 2;

// A dark-to-bright palette (black, blue, magenta, orange, yellow), 256 RGBA entries.
function palette() {
  const stops = [[0, 0, 0, 0], [0.25, 20, 20, 120], [0.5, 160, 30, 140], [0.75, 245, 120, 40], [1, 255, 245, 170]];
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; ++i) {
    const v = i / 255;
    let k = 1;
    while (k < stops.length - 1 && stops[k][0] < v) k += 1;
    const [a, b] = [stops[k - 1], stops[k]];
    const f = (v - a[0]) / (b[0] - a[0]);
    for (let c = 0; c < 3; ++c) lut[i * 4 + c] = a[c + 1] + (b[c + 1] - a[c + 1]) * f;
    lut[i * 4 + 3] = 255;
  }
  return lut;
}

export class Spectrogram {
  constructor(canvas, columns) {
    this.canvas = canvas;
    this.bin_hz = columns.bin_hz;
    this.bins = columns.bins;
    this.lut = palette();
    this.rows = null;
    this.columns = 0;
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    if (this.canvas.width === w && this.canvas.height === h && this.rows) return;
    this.canvas.width = w;
    this.canvas.height = h;
    const ctx = this.canvas.getContext("2d");
    ctx.fillStyle = css_var("--panel") || "#000";
    ctx.fillRect(0, 0, w, h);
    // row y (0 at the top) -> bin, log-spaced from 40 Hz to the top bin
    const low = Math.log(40), high = Math.log(this.bin_hz * (this.bins - 1));
    this.rows = new Uint16Array(h);
    for (let y = 0; y < h; ++y) {
      const hz = Math.exp(high - (high - low) * (y + 0.5) / h);
      this.rows[y] = Math.min(this.bins - 1, Math.round(hz / this.bin_hz));
    }
    this.image = ctx.createImageData(COLUMN_PX, h);
  }

  // One heard column (Uint8Array of bins).
  add(bins) {
    this.resize();
    const ctx = this.canvas.getContext("2d");
    const { width: w, height: h } = this.canvas;
    ctx.drawImage(this.canvas, COLUMN_PX, 0, w - COLUMN_PX, h, 0, 0, w - COLUMN_PX, h);
    const px = this.image.data;
    for (let y = 0; y < h; ++y) {
      const v = bins[this.rows[y]] * 4;
      for (let x = 0; x < COLUMN_PX; ++x) {
        const o = (y * COLUMN_PX + x) * 4;
        px[o] = this.lut[v]; px[o + 1] = this.lut[v + 1]; px[o + 2] = this.lut[v + 2]; px[o + 3] = 255;
      }
    }
    ctx.putImageData(this.image, w - COLUMN_PX, 0);
    this.columns += 1;
  }
}
