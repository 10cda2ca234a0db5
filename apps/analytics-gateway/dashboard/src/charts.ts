/** The page's charts: ECharts (echarts-setup.ts, loaded when the first chart is drawn) with the page's colours and fonts. */
import type { BarSeriesOption, LineSeriesOption, PieSeriesOption } from 'echarts/charts';
import type { AriaComponentOption, GridComponentOption, TooltipComponentOption } from 'echarts/components';
import type { ComposeOption, ECharts } from 'echarts/core';

export type ChartOption = ComposeOption<
  BarSeriesOption | LineSeriesOption | PieSeriesOption | GridComponentOption | TooltipComponentOption | AriaComponentOption
>;

/** Colours with at least 3:1 contrast on white (WCAG non-text contrast), told apart without relying on hue alone by order and labels. */
export const PALETTE = ['#1d4ed8', '#c2410c', '#047857', '#7e22ce', '#be123c', '#0e7490', '#4d7c0f', '#a16207'];

const TEXT = '#1f2937';
const MUTED = '#4b5563';
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";

const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;

export const BASE_OPTION: ChartOption = {
  color: PALETTE,
  animation: !reducedMotion,
  animationDuration: 300,
  // The page's font, named (not 'inherit'): ECharts measures labels with it to lay them out.
  textStyle: { color: TEXT, fontFamily: FONT },
  tooltip: { confine: true, textStyle: { color: TEXT } },
};

export const AXIS_LABEL = { color: MUTED };

/** Room for the axis labels inside the chart's box, whatever their length. */
export const GRID: GridComponentOption = { left: 8, right: 24, top: 16, bottom: 8, containLabel: true };

let echartsModule: Promise<typeof import('./echarts-setup')> | undefined;

/** The charting code, fetched once (the build preloads it alongside the page's own script). */
function loadEcharts(): Promise<typeof import('./echarts-setup')> {
  return (echartsModule ??= import('./echarts-setup'));
}

/**
 * One chart on the page. Its element's data-state says where it is (loading, drawn, empty or
 * error): the tests and the benchmark wait on it, and CSS shows the matching message.
 */
export class Chart {
  private chart?: ECharts;
  private readonly resizeObserver: ResizeObserver;

  /** Called each time a drawing is complete (ECharts' `finished`). */
  onDrawn?: () => void;

  constructor(readonly element: HTMLElement) {
    // Resized at once: an animated resize would redraw from nothing.
    this.resizeObserver = new ResizeObserver(() => this.chart?.resize({ animation: { duration: 0 } }));
    this.resizeObserver.observe(element);
    element.dataset.state = 'loading';
  }

  /** Counts drawings, so that one still waiting for ECharts is dropped when a newer one (or a clear) came after it. */
  private generation = 0;

  loading(): void {
    this.generation++;
    this.element.dataset.state = 'loading';
  }

  /** `description` is read by screen readers in place of the drawing (the chart's aria-label). */
  draw(option: ChartOption, description: string): void {
    const generation = ++this.generation;
    this.element.dataset.state = 'drawing';
    loadEcharts().then(
      ({ init }) => {
        if (generation !== this.generation) return;
        const chart = (this.chart ??= init(this.element, undefined, { renderer: 'svg' }));
        chart.off('finished');
        chart.on('finished', () => {
          if (this.element.dataset.state === 'drawn') return;
          this.element.dataset.state = 'drawn';
          this.onDrawn?.();
        });
        chart.setOption({ ...BASE_OPTION, aria: { enabled: true, label: { description } }, ...option }, { notMerge: true });
      },
      (error: unknown) => {
        console.error('dashboard: the charting code could not be loaded', error);
        this.failed();
      },
    );
  }

  /** Nothing to draw: the chart is cleared and the card says so. */
  empty(): void {
    this.generation++;
    this.chart?.clear();
    this.element.dataset.state = 'empty';
    this.onDrawn?.();
  }

  failed(): void {
    this.generation++;
    this.chart?.clear();
    this.element.dataset.state = 'error';
    this.onDrawn?.();
  }
}
