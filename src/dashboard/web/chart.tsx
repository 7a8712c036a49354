// uPlot behind a Preact component: one canvas, redrawn when the data change, resized with its box.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { short } from "./format";

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
        axes: [{ stroke: "#667", grid: { stroke: "#eef0f3" } }, { stroke: "#667", grid: { stroke: "#eef0f3" }, values: (_, ticks) => ticks.map(short), size: 50 }],
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
