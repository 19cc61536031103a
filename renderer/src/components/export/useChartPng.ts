import { toValue, type MaybeRefOrGetter } from 'vue';
import { getInstanceByDom, type ECharts } from 'echarts/core';
import { downloadDataUrl } from './download';

export interface ChartPngOptions {
  /** Device pixels per CSS pixel; 2 keeps text sharp when the image is pasted into a document. */
  pixelRatio?: number;
  /** ECharts draws on a transparent canvas; a PNG needs the page's background to stay legible. */
  backgroundColor?: string;
}

function pageBackground(el: Element | null | undefined): string {
  let node: Element | null | undefined = el;
  while (node) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg && bg !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(bg)) return bg;
    node = node.parentElement;
  }
  return '#ffffff';
}

/** PNG of one ECharts instance (any chart of the app, the flame graphs included). */
export function useChartPng(chart: MaybeRefOrGetter<ECharts | null | undefined>) {
  function dataUrl(options: ChartPngOptions = {}): string | null {
    const c = toValue(chart);
    if (!c || c.isDisposed()) return null;
    return c.getDataURL({
      type: 'png',
      pixelRatio: options.pixelRatio ?? 2,
      backgroundColor: options.backgroundColor ?? pageBackground(c.getDom()),
    });
  }

  function download(fileName: string, options?: ChartPngOptions): boolean {
    const url = dataUrl(options);
    if (!url) return false;
    downloadDataUrl(url, fileName.endsWith('.png') ? fileName : `${fileName}.png`);
    return true;
  }

  return { dataUrl, download };
}

export interface FoundChart {
  label: string;
  chart: ECharts;
}

/**
 * The charts on screen now. ECharts marks every element it draws into, so the export dialog can
 * offer a PNG of each without the views having to register their charts.
 */
export function chartsOnPage(root: ParentNode = document): FoundChart[] {
  const found: FoundChart[] = [];
  for (const el of root.querySelectorAll<HTMLElement>('[_echarts_instance_]')) {
    const chart = getInstanceByDom(el);
    if (!chart || chart.isDisposed() || el.offsetWidth === 0) continue;
    const labelled = el.closest<HTMLElement>('[aria-label], [data-testid]');
    const label =
      labelled?.getAttribute('aria-label') ||
      labelled?.dataset.testid?.replace(/[-_]/g, ' ') ||
      `Chart ${found.length + 1}`;
    found.push({ label, chart });
  }
  return found;
}
