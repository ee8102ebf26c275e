// Small SVG charts for the dashboard: bars for journals per minute, lines for latency percentiles.
// Drawn with DOM calls only (no innerHTML), sized by the SVG's viewBox so they scale with the page.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 600;
const HEIGHT = 160;
const PAD = { left: 36, right: 8, top: 10, bottom: 20 };

function element(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(svg, max, format) {
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  const bottom = HEIGHT - PAD.bottom;
  svg.append(element("line", { class: "axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: bottom, y2: bottom }));
  svg.append(element("text", { x: 2, y: PAD.top + 8 }, format(max)));
  svg.append(element("text", { x: 2, y: bottom }, "0"));
  svg.append(element("text", { x: PAD.left, y: HEIGHT - 4 }, "−60 min"));
  svg.append(element("text", { x: WIDTH - PAD.right - 24, y: HEIGHT - 4 }, "now"));
}

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten. */
function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

const xOf = (index, count) => PAD.left + ((WIDTH - PAD.left - PAD.right) * index) / count;
const yOf = (value, max) => HEIGHT - PAD.bottom - ((HEIGHT - PAD.top - PAD.bottom) * value) / max;

/** Stacked bars per minute: delivered, and dead on top. */
export function throughputChart(svg, minutes) {
  const max = niceMax(Math.max(0, ...minutes.map((minute) => minute.delivered + minute.dead)));
  frame(svg, max, String);
  const width = Math.max(1, (WIDTH - PAD.left - PAD.right) / minutes.length - 1);
  minutes.forEach((minute, index) => {
    const x = xOf(index, minutes.length);
    const top = yOf(minute.delivered, max);
    if (minute.delivered > 0)
      svg.append(element("rect", { class: "bar", x, y: top, width, height: yOf(0, max) - top }));
    if (minute.dead > 0) {
      const deadTop = yOf(minute.delivered + minute.dead, max);
      svg.append(element("rect", { class: "dead", x, y: deadTop, width, height: top - deadTop }));
    }
  });
}

/** p50 and p95 latency per minute (seconds); minutes without deliveries break the line. */
export function latencyChart(svg, minutes) {
  const seconds = (ms) => (ms === null ? null : ms / 1000);
  const max = niceMax(Math.max(0, ...minutes.map((minute) => seconds(minute.p95Ms) ?? 0)));
  frame(svg, max, (value) => `${value}`);
  for (const [field, css] of [
    ["p50Ms", "p50"],
    ["p95Ms", "p95"],
  ]) {
    let path = "";
    let pen = "M";
    minutes.forEach((minute, index) => {
      const value = seconds(minute[field]);
      if (value === null) {
        pen = "M";
        return;
      }
      const x = xOf(index + 0.5, minutes.length);
      const y = yOf(value, max);
      path += `${pen}${x.toFixed(1)},${y.toFixed(1)} `;
      pen = "L";
      // A dot per minute: a lone minute with deliveries is visible too.
      svg.append(element("circle", { class: `${css}-dot`, cx: x.toFixed(1), cy: y.toFixed(1), r: 2.5 }));
    });
    if (path !== "") svg.append(element("path", { class: css, d: path.trim() }));
  }
}
