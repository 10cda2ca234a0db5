/**
 * ECharts, tree-shaken to what the page draws (bar, line and pie charts with axes, tooltips and
 * ARIA descriptions), rendered as SVG: crisp at any zoom, and each chart's text is in the DOM.
 * Loaded on its own (charts.ts imports it dynamically), so the figures and tables show before
 * the charting code has arrived.
 */
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { AriaComponent, GridComponent, TooltipComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, LineChart, PieChart, AriaComponent, GridComponent, TooltipComponent, SVGRenderer]);

export { init };
