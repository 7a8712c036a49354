// uPlot behind a Preact component: one canvas, redrawn when the data change, resized with its box.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { short } from "./format";

// Whole-number steps only: these are counts, "0.5 events" is not a tick.
const COUNT_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2.5e3, 5e3, 1e4, 2e4, 2.5e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 1e8, 1e9];

export interface Series {
  label: string;
  values: number[];
  color: string;
  /** Drawn as bars instead of a line. */
  bars?: boolean;
}

export function Chart(props: { times: number[]; series: Series[]; height?: number; label?: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
    const plot = new uPlot(
      {
        width: element.clientWidth || 600,
        height: props.height ?? 220,
        legend: { show: props.series.length > 1 },
        cursor: { drag: { x: false, y: false } },
        // Counts start at zero: an axis from 150 makes a 10% dip look like a collapse.
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.05)] } },
        axes: [{ stroke: "#667", grid: { stroke: "#eef0f3" } }, { stroke: "#667", grid: { stroke: "#eef0f3" }, values: (_, ticks) => ticks.map(short), size: 50, incrs: COUNT_STEPS }],
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: s.bars ? 0 : 2,
            fill: s.bars ? s.color : `${s.color}22`,
            paths: s.bars ? bars : undefined,
            points: { show: false },
            value: (_: uPlot, v: number | null) => (v === null ? "—" : short(v)),
          })),
        ],
      },
      [props.times.map((t) => t / 1000), ...props.series.map((s) => s.values)],
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: props.height ?? 220 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.times, props.series]);
  return <div class="chart" ref={box} role="img" aria-label={props.label ?? props.series.map((s) => s.label).join(", ")} />;
}
