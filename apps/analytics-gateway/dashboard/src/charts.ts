/**
 * ECharts, tree-shaken to what the page draws (bar, line and pie charts with axes, tooltips and
 * ARIA descriptions), rendered as SVG: crisp at any zoom, and each chart's text is in the DOM.
 */
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { AriaComponent, GridComponent, TooltipComponent } from 'echarts/components';
import { ComposeOption, ECharts, init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import type { BarSeriesOption, LineSeriesOption, PieSeriesOption } from 'echarts/charts';
import type { AriaComponentOption, GridComponentOption, TooltipComponentOption } from 'echarts/components';

use([BarChart, LineChart, PieChart, AriaComponent, GridComponent, TooltipComponent, SVGRenderer]);

export type ChartOption = ComposeOption<BarSeriesOption | LineSeriesOption | PieSeriesOption | GridComponentOption | TooltipComponentOption | AriaComponentOption>;

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

  loading(): void {
    this.element.dataset.state = 'loading';
  }

  /** `description` is read by screen readers in place of the drawing (the chart's aria-label). */
  draw(option: ChartOption, description: string): void {
    const chart = (this.chart ??= init(this.element, undefined, { renderer: 'svg' }));
    this.element.dataset.state = 'drawing';
    chart.off('finished');
    chart.on('finished', () => {
      if (this.element.dataset.state === 'drawn') return;
      this.element.dataset.state = 'drawn';
      this.onDrawn?.();
    });
    chart.setOption({ ...BASE_OPTION, aria: { enabled: true, label: { description } }, ...option }, { notMerge: true });
  }

  /** Nothing to draw: the chart is cleared and the card says so. */
  empty(): void {
    this.chart?.clear();
    this.element.dataset.state = 'empty';
    this.onDrawn?.();
  }

  failed(): void {
    this.chart?.clear();
    this.element.dataset.state = 'error';
  }
}
