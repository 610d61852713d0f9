/** Tree size over time as an inline SVG step chart, drawn at the container's real width (text stays legible). */
import { svg } from '../common/dom';
import { formatCount, formatDateTime, formatTime } from '../common/format';

export interface SizePoint {
  /** Milliseconds since the epoch. */
  t: number;
  size: number;
}

const HEIGHT = 220;
const MIN_SPAN_MS = 10_000;
const PAD = { left: 64, right: 16, top: 14, bottom: 30 };

export function sizeChart(points: SizePoint[], width: number, now = Date.now()): SVGElement {
  const w = Math.max(260, Math.floor(width));
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const t0 = first?.t ?? now - MIN_SPAN_MS;
  // Up to now (the size holds since the last checkpoint); at least a few seconds wide.
  const t1 = Math.max(now, last?.t ?? now, t0 + MIN_SPAN_MS);
  const top = niceCeiling(Math.max(1, ...sorted.map((p) => p.size)));
  const x = (t: number) => PAD.left + ((t - t0) / (t1 - t0)) * (w - PAD.left - PAD.right);
  const y = (size: number) => PAD.top + (1 - size / top) * (HEIGHT - PAD.top - PAD.bottom);

  const label = first
    ? `Tree size grew from ${formatCount(first.size)} to ${formatCount(last.size)} entries between ${formatDateTime(first.t)} and ${formatDateTime(last.t)}.`
    : 'No checkpoints seen yet.';
  const chart = svg('svg', {
    class: 'chart',
    width: w,
    height: HEIGHT,
    viewBox: `0 0 ${w} ${HEIGHT}`,
    role: 'img',
    'aria-label': label,
  });

  for (const tick of [0, top / 2, top]) {
    chart.append(
      svg('line', { x1: PAD.left, x2: w - PAD.right, y1: y(tick), y2: y(tick), class: 'chart-grid' }),
      svg('text', { x: PAD.left - 8, y: y(tick) + 4, 'text-anchor': 'end', class: 'chart-label' }, formatCount(tick)),
    );
  }
  chart.append(
    svg(
      'text',
      { x: PAD.left, y: HEIGHT - 8, 'text-anchor': 'start', class: 'chart-label' },
      sameDay(t0, t1) ? formatTime(t0) : formatDateTime(t0),
    ),
    svg(
      'text',
      { x: w - PAD.right, y: HEIGHT - 8, 'text-anchor': 'end', class: 'chart-label' },
      t1 === now ? `${formatTime(t1)} (now)` : formatTime(t1),
    ),
  );

  if (first) {
    // Steps: the size holds until the next checkpoint, and up to now after the last.
    let d = `M${x(first.t).toFixed(1)},${y(first.size).toFixed(1)}`;
    for (const point of sorted.slice(1)) d += `H${x(point.t).toFixed(1)}V${y(point.size).toFixed(1)}`;
    d += `H${x(t1).toFixed(1)}`;
    chart.append(svg('path', { d, class: 'chart-line' }));
    for (const point of sorted.slice(-200)) {
      chart.append(
        svg(
          'circle',
          { cx: x(point.t).toFixed(1), cy: y(point.size).toFixed(1), r: 3, class: 'chart-dot' },
          svg('title', null, `${formatCount(point.size)} entries at ${formatDateTime(point.t)}`),
        ),
      );
    }
  }
  return chart;
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function sameDay(a: number, b: number): boolean {
  return new Date(a).toDateString() === new Date(b).toDateString();
}
