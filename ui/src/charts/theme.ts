import { computed, type ComputedRef } from 'vue';
import { useThemeStore } from '@/stores/theme';

export interface ChartColors {
  text: string;
  muted: string;
  grid: string;
  surface: string;
  rx: string;
  tx: string;
  palette: string[];
}

function read(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Chart colours from the CSS variables of theme.css, recomputed when the theme changes. */
export function useChartColors(): ComputedRef<ChartColors> {
  const theme = useThemeStore();
  return computed(() => {
    void theme.dark; // dependency: re-read the variables after a switch
    return {
      text: read('--text'),
      muted: read('--text-muted'),
      grid: read('--chart-grid'),
      surface: read('--surface'),
      rx: read('--chart-rx'),
      tx: read('--chart-tx'),
      palette: read('--palette')
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
    };
  });
}
