import type { AllocatorFamily } from '@shared/api';

/** Chart colours per theme. The CSS variables in renderer/src/styles/theme.css use the same values. */
export interface ChartPalette {
  text: string;
  subtext: string;
  axis: string;
  split: string;
  tooltipBg: string;
  heap: string;
  rss: string;
  rate: string;
  peak: string;
  truncation: string;
  boundary: string;
  small: string;
  large: string;
  /** A histogram bin holding sizes on both sides of the pymalloc threshold. */
  mixed: string;
  /** Per-line samples (Scalene) drawn over the heap. */
  samples: string;
  snapshot: string;
  all: string;
  families: Record<AllocatorFamily, string>;
}

const FAMILIES_DARK: Record<AllocatorFamily, string> = {
  pymalloc: '#5b9cf6',
  malloc: '#f0a35e',
  mmap: '#c678dd',
  jemalloc: '#56c2a6',
  mimalloc: '#e5c07b',
  other: '#8b93a1',
};

const FAMILIES_LIGHT: Record<AllocatorFamily, string> = {
  pymalloc: '#2f6fd6',
  malloc: '#d97a1f',
  mmap: '#9b4fc2',
  jemalloc: '#1e9a7a',
  mimalloc: '#b58a14',
  other: '#6b7280',
};

export const PALETTES: Record<'dark' | 'light', ChartPalette> = {
  dark: {
    text: '#d5d9e0',
    subtext: '#8b93a1',
    axis: '#4a5160',
    split: '#2c313b',
    tooltipBg: '#1f232b',
    heap: '#5b9cf6',
    rss: '#f0a35e',
    rate: '#56c2a6',
    peak: '#ff6b6b',
    truncation: '#ffb020',
    boundary: '#ff6b6b',
    small: '#5b9cf6',
    large: '#f0a35e',
    mixed: '#9aa3b5',
    samples: '#e5c07b',
    snapshot: '#5b9cf6',
    all: '#f0a35e',
    families: FAMILIES_DARK,
  },
  light: {
    text: '#1f2430',
    subtext: '#5c6370',
    axis: '#a0a7b4',
    split: '#e3e6eb',
    tooltipBg: '#ffffff',
    heap: '#2f6fd6',
    rss: '#d97a1f',
    rate: '#1e9a7a',
    peak: '#d32f2f',
    truncation: '#c77700',
    boundary: '#d32f2f',
    small: '#2f6fd6',
    large: '#d97a1f',
    mixed: '#8a93a6',
    samples: '#b07d00',
    snapshot: '#2f6fd6',
    all: '#d97a1f',
    families: FAMILIES_LIGHT,
  },
};

export function familyColor(palette: ChartPalette, family: AllocatorFamily): string {
  return palette.families[family] ?? palette.families.other;
}

/** The themed look every chart's tooltip shares. */
export function tooltipStyle(palette: ChartPalette) {
  return {
    backgroundColor: palette.tooltipBg,
    borderColor: palette.axis,
    textStyle: { color: palette.text },
  };
}
