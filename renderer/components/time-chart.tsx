// A time series chart on uPlot: the plot is made once per mount, new data goes in with setData (React never renders
// per point), it follows its container's width, and its colours come from app.css's custom properties, read again
// whenever the theme changes.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  /** The app.css custom property holding its colour, e.g. "--chart-calls". */
  color: `--${string}`;
  /** "bars" for counts per period, "step" for a level held over the period, "dashed" for a limit. */
  kind?: "line" | "bars" | "step" | "dashed";
}

/** uPlot's aligned data: x in seconds, then one array per series (null is a gap). */
export type ChartData = [number[], ...(number | null)[][]];

/** Calls `onChange` when the window's theme changes: the toggle (data-theme) or the system's preference. */
function followTheme(onChange: () => void): () => void {
  const root = document.documentElement;
  const seen = new window.MutationObserver(onChange);
  seen.observe(root, { attributes: true, attributeFilter: ["data-theme"] });
  const media = window.matchMedia("(prefers-color-scheme: dark)");
  media.addEventListener("change", onChange);
  return () => {
    seen.disconnect();
    media.removeEventListener("change", onChange);
  };
}

/**
 * A class per series (one token: uPlot adds it with classList.add), so the legend's markers take their colour from
 * the stylesheet rather than from inline styles.
 */
const seriesClass = (s: ChartSeries) => s.color.replace(/^--/, "");

/**
 * A line's points are drawn when one of its values stands alone between gaps (one busy period in a quiet range): a
 * line of no length is otherwise invisible. One pass over the values per draw.
 */
const hasLoneValue = (u: uPlot, seriesIdx: number): boolean => {
  const v = u.data[seriesIdx] ?? [];
  for (let i = 0; i < v.length; i++) {
    if (v[i] != null && (i === 0 || v[i - 1] == null) && (i === v.length - 1 || v[i + 1] == null))
      return true;
  }
  return false;
};

/**
 * Each x is the start of its period: the scale runs to the end of the last one, so its bar (drawn from its start)
 * and its step are inside the plot rather than past its right edge.
 */
const throughLastPeriod: uPlot.Range.Function = (u, min, max) => {
  const xs = u.data[0];
  const step = xs.length > 1 ? xs[xs.length - 1]! - xs[xs.length - 2]! : 0;
  return [min, max + step];
};

/** Counts never go below zero, and an empty range still shows a scale. */
const fromZero: uPlot.Range.Function = (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1];

/**
 * `series` must keep its identity between renders (a module constant): a new one makes a new plot. `data` may
 * change on every render; it is handed to the plot as it is.
 */
export function TimeChart({
  title,
  testId,
  series,
  data,
  height = 180,
}: {
  title: string;
  testId: string;
  series: readonly ChartSeries[];
  data: ChartData;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const current = useRef(data);
  current.current = data;

  useEffect(() => {
    const el = box.current!;
    const colors = new Map<string, string>();
    const readColors = () => {
      const css = window.getComputedStyle(el);
      for (const name of ["--chart-axis", "--chart-grid", ...series.map((s) => s.color)]) {
        colors.set(name, css.getPropertyValue(name).trim() || "#888");
      }
    };
    readColors();
    const color = (name: string) => () => colors.get(name) ?? "#888";
    const axis = (): uPlot.Axis => ({
      stroke: color("--chart-axis"),
      grid: { stroke: color("--chart-grid"), width: 1 },
      ticks: { stroke: color("--chart-grid"), width: 1 },
    });
    const u = new uPlot(
      {
        width: Math.max(200, Math.floor(el.clientWidth)),
        height,
        scales: { x: { time: true, range: throughLastPeriod }, y: { range: fromZero } },
        axes: [axis(), { ...axis(), size: 56 }],
        legend: { markers: { width: 0, fill: "" } },
        cursor: { drag: { x: false, y: false } },
        series: [
          {},
          ...series.map((s): uPlot.Series => {
            const stroke = color(s.color);
            const common = { label: s.label, class: seriesClass(s), stroke, width: 2 };
            switch (s.kind) {
              case "bars":
                return {
                  ...common,
                  width: 0,
                  fill: stroke,
                  paths: uPlot.paths.bars!({ size: [0.8, 24], align: 1 }),
                  points: { show: false },
                };
              case "step":
                return {
                  ...common,
                  paths: uPlot.paths.stepped!({ align: 1 }),
                  points: { show: hasLoneValue, size: 5 },
                };
              case "dashed":
                return { ...common, width: 1.5, dash: [6, 4], points: { show: false } };
              default:
                return { ...common, points: { show: hasLoneValue, size: 5 } };
            }
          }),
        ],
      },
      current.current as uPlot.AlignedData,
      el,
    );
    plot.current = u;
    const resize = new window.ResizeObserver(([entry]) => {
      const width = Math.floor(entry?.contentRect.width ?? 0);
      if (width > 0 && width !== u.width) u.setSize({ width, height });
    });
    resize.observe(el);
    const stopTheme = followTheme(() => {
      readColors();
      u.redraw();
    });
    return () => {
      stopTheme();
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [series, height]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return (
    <figure className="time-chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={box} className="time-chart-plot" />
    </figure>
  );
}
