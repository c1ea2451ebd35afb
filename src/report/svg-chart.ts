// Hand-written SVG charts for the HTML reports: line charts (latency by percentile, throughput over
// time) and horizontal grouped bars (comparisons). Drawn at render time, so a report page needs no
// script and no network; every data point is a `.mark` element with a <title> tooltip.
import { html } from './escape.js';

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function colorOf(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

export interface Point {
  x: number;
  y: number;
  /** Tooltip text of the point (the series name is added in front). */
  label: string;
}

export interface Series {
  name: string;
  color: string;
  points: Point[];
}

export interface Tick {
  value: number;
  label: string;
}

export interface LineChartSpec {
  /** `data-chart` attribute: what the chart shows (latency, throughput...). */
  kind: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Fixed x ticks (e.g. the percentile axis); default: nice ticks over the data. */
  xTicks?: Tick[];
  xMin?: number;
  xMax?: number;
  /** Vertical rules with a label (e.g. where a load step starts). */
  rules?: Tick[];
  /** Extra data- attributes on the <svg>. */
  data?: Record<string, string>;
  width?: number;
  height?: number;
  formatY?: (v: number) => string;
}

const M = { left: 64, right: 18, top: 34, bottom: 44 };

/** About five round tick values covering [0, max]. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

export function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}

function attrs(data: Record<string, string> | undefined): string {
  return Object.entries(data ?? {})
    .map(([k, v]) => ` data-${k}="${html(v)}"`)
    .join('');
}

function legend(series: readonly Series[], x0: number, y: number, width: number): string {
  const parts: string[] = [];
  let x = x0;
  let row = 0;
  for (const s of series) {
    const w = 22 + s.name.length * 6.5 + 14;
    if (x + w > width && x > x0) {
      x = x0;
      row++;
    }
    const yy = y + row * 14;
    parts.push(`<g class="legend-item"><rect x="${x}" y="${yy - 8}" width="14" height="4" fill="${s.color}"/><text x="${x + 18}" y="${yy - 3}" font-size="11">${html(s.name)}</text></g>`);
    x += w;
  }
  return parts.join('');
}

export function lineChart(spec: LineChartSpec): string {
  const W = spec.width ?? 580;
  const H = spec.height ?? 280;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const all = spec.series.flatMap((s) => s.points);
  const xMin = spec.xMin ?? Math.min(0, ...all.map((p) => p.x));
  const xMaxData = Math.max(...all.map((p) => p.x), ...(spec.xTicks ?? []).map((t) => t.value));
  const xMax = spec.xMax ?? (xMaxData > xMin ? xMaxData : xMin + 1);
  const yTicks = niceTicks(Math.max(0, ...all.map((p) => p.y)));
  const yMax = yTicks[yTicks.length - 1]!;
  const sx = (x: number) => M.left + ((x - xMin) / (xMax - xMin || 1)) * pw;
  const sy = (y: number) => M.top + ph - (y / (yMax || 1)) * ph;
  const fy = spec.formatY ?? shortNumber;
  const xTicks = spec.xTicks ?? niceTicks(xMax).map((v) => ({ value: v, label: shortNumber(v) }));
  const out: string[] = [];
  out.push(`<svg class="chart" data-chart="${html(spec.kind)}"${attrs(spec.data)} viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${html(spec.title)}" xmlns="http://www.w3.org/2000/svg">`);
  out.push(`<title>${html(spec.title)}</title>`);
  out.push(`<rect class="plot" x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#ddd"/>`);
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#e6e6e6"/><text x="${M.left - 6}" y="${Number(y) + 4}" font-size="11" text-anchor="end">${html(fy(t))}</text>`);
  }
  for (const t of xTicks) {
    if (t.value < xMin || t.value > xMax) continue;
    const x = sx(t.value).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top + ph}" y2="${M.top + ph + 4}" stroke="#999"/><text x="${x}" y="${M.top + ph + 16}" font-size="11" text-anchor="middle">${html(t.label)}</text>`);
  }
  for (const r of spec.rules ?? []) {
    const x = sx(r.value).toFixed(1);
    out.push(`<line class="rule" x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" stroke="#999" stroke-dasharray="3 3"/><text x="${Number(x) + 3}" y="${M.top + 11}" font-size="10" fill="#555">${html(r.label)}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 6}" font-size="11" text-anchor="middle" fill="#333">${html(spec.xLabel)}</text>`);
  out.push(`<text x="14" y="${M.top + ph / 2}" font-size="11" text-anchor="middle" fill="#333" transform="rotate(-90 14 ${M.top + ph / 2})">${html(spec.yLabel)}</text>`);
  for (const s of spec.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
    out.push(`<g class="series" data-series="${html(s.name)}"><path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"/>`);
    for (const p of s.points) {
      out.push(`<circle class="mark" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.6" fill="${s.color}"><title>${html(`${s.name}: ${p.label}`)}</title></circle>`);
    }
    out.push('</g>');
  }
  out.push(legend(spec.series, M.left, 16, W - M.right));
  out.push('</svg>');
  return out.join('');
}

export interface BarChartSpec {
  kind: string;
  title: string;
  /** Shown after the values, e.g. `ops/s`. */
  unit: string;
  categories: string[];
  series: Array<{ name: string; color: string; values: Array<number | undefined> }>;
  format: (v: number) => string;
  data?: Record<string, string>;
  width?: number;
}

/** Horizontal grouped bars: a group per category (row), a bar per series (report). */
export function barChart(spec: BarChartSpec): string {
  const W = spec.width ?? 600;
  const labelW = 200;
  const valueW = 70;
  const barH = 12;
  const gap = 10;
  const top = 40;
  const n = spec.series.length;
  const groupH = n * barH + gap;
  const H = top + spec.categories.length * groupH + 26;
  const pw = W - labelW - valueW - 10;
  const max = Math.max(0, ...spec.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined)));
  const ticks = niceTicks(max);
  const vMax = ticks[ticks.length - 1]!;
  const sx = (v: number) => labelW + (v / (vMax || 1)) * pw;
  const out: string[] = [];
  out.push(`<svg class="chart" data-chart="${html(spec.kind)}"${attrs(spec.data)} viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${html(spec.title)}" xmlns="http://www.w3.org/2000/svg">`);
  out.push(`<title>${html(spec.title)}</title>`);
  for (const t of ticks) {
    const x = sx(t).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${top - 4}" y2="${H - 22}" stroke="#e6e6e6"/><text x="${x}" y="${H - 8}" font-size="10" text-anchor="middle">${html(shortNumber(t))}</text>`);
  }
  spec.categories.forEach((cat, ci) => {
    const y0 = top + ci * groupH;
    const short = cat.length > 36 ? `${cat.slice(0, 35)}\u2026` : cat;
    out.push(`<text x="${labelW - 8}" y="${y0 + (n * barH) / 2 + 4}" font-size="11" text-anchor="end"><title>${html(cat)}</title>${html(short)}</text>`);
    spec.series.forEach((s, si) => {
      const v = s.values[ci];
      const y = y0 + si * barH;
      if (v === undefined) {
        out.push(`<text x="${labelW + 4}" y="${y + barH - 2}" font-size="10" fill="#999">${html(`${s.name}: -`)}</text>`);
        return;
      }
      // A zero still gets a sliver, so that "measured as 0" differs from "not measured".
      const w = Math.max(1, sx(v) - labelW);
      out.push(`<rect class="mark" data-series="${html(s.name)}" x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${s.color}"><title>${html(`${s.name} ${cat}: ${spec.format(v)} ${spec.unit}`)}</title></rect>`);
      out.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 2}" font-size="10">${html(spec.format(v))}</text>`);
    });
  });
  out.push(`<text x="${labelW}" y="14" font-size="12" font-weight="bold">${html(spec.title)}</text>`);
  out.push(legend(spec.series.map((s) => ({ name: s.name, color: s.color, points: [] })), labelW, 32, W));
  out.push('</svg>');
  return out.join('');
}
