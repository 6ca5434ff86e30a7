/**
 * Inline SVG charts over time buckets: stacked bars (jobs ended per bucket)
 * and lines (run-time percentiles). Colours come from the stylesheet, so
 * they follow the theme.
 *
 * @module
 */

const NS = "http://www.w3.org/2000/svg";
const W = 720;
const H = 200;
const PAD = { left: 44, right: 10, top: 10, bottom: 24 };

/** @param {string} tag @param {Record<string, string | number>} attrs @param {string} [text] */
function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * A y axis with round ticks: a step of 1, 2 or 5 × 10ⁿ (at least 1 when
 * counting), and a top that is a whole number of steps, 2 to 5 of them.
 *
 * @param {number} max the largest value
 * @param {boolean} whole whether values are counts
 * @returns {{ top: number, step: number }}
 */
function axis(max, whole) {
  if (max <= 0) return { top: 1, step: whole ? 1 : 0.25 };
  const rough = max / 4;
  const p = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= rough) ?? rough;
  if (whole) step = Math.max(1, Math.round(step));
  return { top: step * Math.ceil(max / step), step };
}

/** @param {number} ms */
const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/**
 * The frame: y grid with labels, x labels every few buckets.
 *
 * @param {SVGSVGElement} root
 * @param {number[]} starts bucket start times
 * @param {{ top: number, step: number }} yAxis
 * @param {(v: number) => string} label
 */
function frame(root, starts, { top, step: tick }, label) {
  const innerH = H - PAD.top - PAD.bottom;
  for (let v = 0; v <= top + tick / 2; v += tick) {
    const y = PAD.top + innerH - (innerH * v) / top;
    root.append(
      svg("line", {
        class: "axis",
        x1: PAD.left,
        x2: W - PAD.right,
        y1: y,
        y2: y,
      }),
    );
    root.append(
      svg(
        "text",
        { x: PAD.left - 6, y: y + 3, "text-anchor": "end" },
        label(v),
      ),
    );
  }
  const step = Math.max(1, Math.ceil(starts.length / 6));
  const bw = (W - PAD.left - PAD.right) / starts.length;
  starts.forEach((start, i) => {
    if (i % step) return;
    root.append(
      svg(
        "text",
        { x: PAD.left + i * bw + bw / 2, y: H - 6, "text-anchor": "middle" },
        clock(start),
      ),
    );
  });
}

/** @param {string} title */
function chartRoot(title) {
  const root = /** @type {SVGSVGElement} */ (svg("svg", {
    class: "chart",
    viewBox: `0 0 ${W} ${H}`,
    role: "img",
    "aria-label": title,
  }));
  root.append(svg("title", {}, title));
  return root;
}

/**
 * Stacked bars, one per bucket.
 *
 * @param {{ start: number, [key: string]: number }[]} buckets
 * @param {string[]} keys stacked from the bottom; each is also the bar's CSS class `f-KEY`
 * @param {string} title
 */
export function stackedBars(buckets, keys, title) {
  const root = chartRoot(title);
  const totals = buckets.map((b) => keys.reduce((sum, k) => sum + (b[k] ?? 0), 0));
  const yAxis = axis(Math.max(0, ...totals), true);
  const max = yAxis.top;
  frame(root, buckets.map((b) => b.start), yAxis, (v) => String(v));
  const innerH = H - PAD.top - PAD.bottom;
  const bw = (W - PAD.left - PAD.right) / buckets.length;
  buckets.forEach((bucket, i) => {
    let y = PAD.top + innerH;
    for (const key of keys) {
      const n = bucket[key] ?? 0;
      if (!n) continue;
      const height = (innerH * n) / max;
      y -= height;
      const bar = svg("rect", {
        class: `f-${key}`,
        x: PAD.left + i * bw + 1,
        y,
        width: Math.max(1, bw - 2),
        height,
      });
      bar.append(svg("title", {}, `${clock(bucket.start)}: ${n} ${key}`));
      root.append(bar);
    }
  });
  return root;
}

/**
 * Lines, one per key; buckets without a value leave a gap.
 *
 * @param {{ start: number, [key: string]: number | undefined }[]} buckets
 * @param {string[]} keys each is also the line's CSS class `l-KEY`
 * @param {string} title
 * @param {(v: number) => string} label
 */
export function lines(buckets, keys, title, label) {
  const root = chartRoot(title);
  const values = buckets.flatMap((b) => keys.map((k) => b[k] ?? 0));
  const yAxis = axis(Math.max(0, ...values), false);
  const max = yAxis.top;
  frame(root, buckets.map((b) => b.start), yAxis, label);
  const innerH = H - PAD.top - PAD.bottom;
  const bw = (W - PAD.left - PAD.right) / buckets.length;
  for (const key of keys) {
    let d = "";
    let pen = "M";
    buckets.forEach((b, i) => {
      const v = b[key];
      if (v === undefined) {
        pen = "M";
        return;
      }
      const x = (PAD.left + i * bw + bw / 2).toFixed(1);
      const y = (PAD.top + innerH - (innerH * v) / max).toFixed(1);
      d += `${pen}${x},${y}`;
      pen = "L";
      // A dot per value, so that a lone value shows too.
      const dot = svg("circle", { class: `l-${key}`, cx: x, cy: y, r: 2.5 });
      dot.append(svg("title", {}, `${clock(b.start)}: ${key} ${label(v)}`));
      root.append(dot);
    });
    if (d) root.append(svg("path", { class: `l-${key}`, d }));
  }
  return root;
}
