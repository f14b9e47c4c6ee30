/**
 * ECharts, registered once with only what the UI draws (tree-shaken: the full build is ~1 MB).
 * Chart components import VChart from here and take their data as props. Legends are HTML
 * (ChartLegend.vue) and every chart has a text or table equivalent next to it, so neither ECharts'
 * legend nor its aria component is bundled.
 */
import { use } from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import VChart from 'vue-echarts';

use([LineChart, BarChart, PieChart, GridComponent, TooltipComponent, CanvasRenderer]);

export { VChart };
