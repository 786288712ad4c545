// Small accessible SVG charts: each is role="img" with a title and a description that
// lists every value (the table next to it is the full text alternative). Suppressed values
// (null) draw no bar and show their display text ("<5").

const SVG = "http://www.w3.org/2000/svg";
let serial = 0;

function node(name, attrs = {}, text) {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

function frame(width, height, title, description) {
  const id = `chart-${++serial}`;
  const svg = node("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-labelledby": `${id}-title ${id}-desc`,
    class: "chart",
    focusable: "false",
  });
  svg.append(node("title", { id: `${id}-title` }, title));
  svg.append(node("desc", { id: `${id}-desc` }, description));
  return svg;
}

// The top of the scale: four ticks, integers whenever the values are.
function niceMax(max, integers = true) {
  if (max <= 0) return 4;
  if (integers && max <= 4) return 4;
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    const tick = step * power;
    if (tick >= raw && (Number.isInteger(tick) || power < 1)) return tick * 4;
  }
  return 40 * power;
}

function summary(items) {
  return items.map((item) => `${item.label}: ${item.display}`).join("; ");
}

// Vertical columns, one per month (items in time order).
export function columnChart({ title, items, describe, rate = false }) {
  const width = 640;
  const height = 250;
  const left = 48;
  const bottom = 44;
  const top = 16;
  const svg = frame(width, height, title, describe(summary(items)));
  const values = items.map((item) => item.value ?? 0);
  const max = rate ? 1 : niceMax(Math.max(0, ...values), values.every(Number.isInteger));
  const plotHeight = height - top - bottom;
  const slot = (width - left - 8) / Math.max(items.length, 1);
  const grid = node("g", { class: "grid", "aria-hidden": "true" });
  for (let i = 0; i <= 4; i++) {
    const y = top + plotHeight - (plotHeight * i) / 4;
    grid.append(node("line", { x1: left, x2: width - 4, y1: y, y2: y }));
    const tick = max * i / 4;
    const label = rate ? `${Math.round(tick * 100)}%`
      : Number.isInteger(tick) ? tick.toLocaleString() : tick.toFixed(1);
    grid.append(node("text", { x: left - 6, y: y + 4, class: "tick", "text-anchor": "end" }, label));
  }
  svg.append(grid);
  const bars = node("g", { "aria-hidden": "true" });
  const labelEvery = Math.ceil(items.length / 12);
  items.forEach((item, i) => {
    const x = left + i * slot;
    const barWidth = Math.max(2, slot * 0.62);
    const cx = x + slot / 2;
    if (item.value !== null && item.value !== undefined) {
      const h = (plotHeight * item.value) / max;
      bars.append(node("rect", {
        x: cx - barWidth / 2, y: top + plotHeight - h, width: barWidth, height: Math.max(h, 0),
        class: "bar", rx: 2,
      }));
    } else {
      bars.append(node("rect", {
        x: cx - barWidth / 2, y: top + plotHeight - 6, width: barWidth, height: 6,
        class: "bar suppressed", rx: 2,
      }));
    }
    if (items.length <= 24) {
      const y = item.value ? top + plotHeight - (plotHeight * item.value) / max - 5 : top + plotHeight - 10;
      bars.append(node("text", { x: cx, y, class: "value", "text-anchor": "middle" }, item.display));
    }
    if (i % labelEvery === 0) {
      bars.append(node("text", { x: cx, y: height - bottom + 18, class: "axis-label", "text-anchor": "middle" },
        item.short ?? item.label));
      // The year under the first month and under every January.
      if (item.year && (i === 0 || item.year !== items[i - 1].year)) {
        bars.append(node("text", { x: cx, y: height - bottom + 36, class: "tick", "text-anchor": "middle" }, item.year));
      }
    }
  });
  svg.append(bars);
  return svg;
}

// Horizontal bars, one per row (partners, regions), largest first as given.
export function barChart({ title, items, describe, rate = false }) {
  const rowHeight = 30;
  const left = 200;
  const width = 560;
  const height = Math.max(1, items.length) * rowHeight + 12;
  const svg = frame(width, height, title, describe(summary(items)));
  const values = items.map((item) => item.value ?? 0);
  const max = rate ? 1 : niceMax(Math.max(0, ...values), values.every(Number.isInteger));
  const plotWidth = width - left - 56;
  const group = node("g", { "aria-hidden": "true" });
  items.forEach((item, i) => {
    const y = 6 + i * rowHeight;
    const label = item.label.length > 24 ? `${item.label.slice(0, 23)}…` : item.label;
    group.append(node("text", { x: left - 8, y: y + 20, class: "axis-label", "text-anchor": "end" }, label));
    const w = item.value ? (plotWidth * item.value) / max : 0;
    group.append(node("rect", {
      x: left, y: y + 4, width: item.value === null ? 6 : Math.max(w, 1), height: rowHeight - 8,
      class: item.value === null ? "bar suppressed" : "bar", rx: 2,
    }));
    group.append(node("text", { x: left + Math.max(w, 6) + 6, y: y + 20, class: "value" }, item.display));
  });
  svg.append(group);
  return svg;
}

// Key numbers as cards, grouped by axis in the given order (the big figure is the display
// string: "1.298", "35%", "<5"); a rate shows its numerator and denominator when known.
export function keyNumberCards(rows, { axes, axisName, ratio, heading = "h3" }) {
  const container = document.createElement("div");
  container.className = "kpi-groups";
  const order = [...axes, ...new Set(rows.map((row) => row.axis).filter((axis) => !axes.includes(axis)))];
  for (const axis of order) {
    const group = rows.filter((row) => row.axis === axis);
    if (!group.length) continue;
    const section = document.createElement("section");
    section.className = `kpi-group axis-${axis}`;
    const title = document.createElement(heading);
    title.id = `kpi-${axis}`;
    title.textContent = axisName(axis);
    section.setAttribute("aria-labelledby", title.id);
    const list = document.createElement("ul");
    list.className = "kpis";
    for (const row of group) list.append(card(row, ratio));
    section.append(title, list);
    container.append(section);
  }
  return container;
}

function card(row, ratio) {
  const item = document.createElement("li");
  item.className = `kpi axis-${row.axis}`;
  item.dataset.indicator = row.indicator_id;
  const value = document.createElement("span");
  value.className = "kpi-value";
  value.textContent = row.display;
  const label = document.createElement("span");
  label.className = "kpi-label";
  label.textContent = row.label;
  item.append(value, label);
  if (row.numerator !== null && row.numerator !== undefined && row.denominator) {
    const parts = document.createElement("span");
    parts.className = "kpi-parts";
    parts.textContent = ratio(row.numerator, row.denominator);
    item.append(parts);
  }
  return item;
}
