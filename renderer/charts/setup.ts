import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart, CustomChart } from 'echarts/charts';
import {
  AxisPointerComponent,
  BrushComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  MarkPointComponent,
  TitleComponent,
  TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

// Only what the views draw, so the renderer bundle does not carry all of ECharts. The custom
// series is the flamegraph's; registering twice is harmless.
// No toolbox: the brush is switched on in code and cleared by the view's own button.
echarts.use([
  BarChart,
  LineChart,
  PieChart,
  CustomChart,
  AxisPointerComponent,
  BrushComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  MarkPointComponent,
  TitleComponent,
  TooltipComponent,
  CanvasRenderer,
]);

export { echarts };
