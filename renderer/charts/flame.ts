/**
 * The app's flamegraph as an ECharts option. Everything drawn comes from a FlameScene
 * (renderer/flame/scene.ts: layout, colours, labels, search), the same scene the HTML report
 * paints, so a capture looks the same in the app and in its report.
 */
import type { CustomSeriesRenderItem, CustomSeriesRenderItemReturn, EChartsOption } from 'echarts';
import { escapeHtml } from '@shared/html';
import type { UnitSystem } from '@shared/units';
import { framePaint, type FlamePaint } from '../flame/color';
import { nodeTooltip, type LabelTree, type TooltipContent } from '../flame/labels';
import type { FlameLayout, VisibleNodes } from '../flame/layout';
import {
  flameScene,
  LABEL_COLOR,
  LABEL_FONT_FAMILY,
  LABEL_FONT_PX,
  LABEL_INSET_PX,
  type FlameOrientation,
  type FlameScene,
} from '../flame/scene';

/** A tooltip's text as ECharts HTML: the title bold, its note italic, every text escaped. */
export function tooltipHtml(content: TooltipContent): string {
  const head = `<b>${escapeHtml(content.title)}</b>${content.note ? ` <i>(${escapeHtml(content.note)})</i>` : ''}`;
  return [head, ...content.lines.map(escapeHtml)].join('<br>');
}

/** Bytes, % of `totalValue`, count and file:line of visible rectangle k. */
export function defaultTooltip(
  tree: LabelTree,
  visible: VisibleNodes,
  k: number,
  totalValue: number,
  units: UnitSystem = 'si',
): string {
  return tooltipHtml(nodeTooltip(tree, visible, k, totalValue, units));
}

export interface FlameOptionInput {
  scene: FlameScene;
  /** Tooltip HTML of a rectangle, by its node and its index in `scene.visible`. */
  tooltip: (node: number, k: number) => string;
}

/**
 * The chart: one custom series, one data item per scene rectangle (its index, in the scene's
 * paint order), with pixel coordinates (coordinateSystem 'none'), so a zoom is a data swap and
 * no axis work.
 */
export function buildFlameOption({ scene, tooltip }: FlameOptionInput): EChartsOption {
  const renderItem: CustomSeriesRenderItem = (params): CustomSeriesRenderItemReturn => {
    const j = params.dataIndex;
    const label = scene.label[j];
    const outline = scene.outline[j];
    const fill = scene.fill[j];
    return {
      type: 'rect',
      shape: { x: scene.x[j], y: scene.y[j], width: scene.width[j], height: scene.height[j] },
      // No hover state: highlighting one rectangle repaints all of them. The view draws a DOM
      // outline over the hovered rectangle instead (sceneRect).
      emphasisDisabled: true,
      style: outline ? { fill, stroke: outline.stroke, lineWidth: 1, lineDash: outline.lineDash } : { fill },
      textContent: label
        ? {
            type: 'text',
            style: { text: label, fill: LABEL_COLOR, fontSize: LABEL_FONT_PX, fontFamily: LABEL_FONT_FAMILY },
          }
        : undefined,
      textConfig: label ? { position: 'insideLeft', distance: LABEL_INSET_PX } : undefined,
    } as CustomSeriesRenderItemReturn;
  };

  // One number per item: geometry is read from the scene's typed arrays, so ECharts does not
  // have to store and copy four dimensions per rectangle.
  const data = Array.from({ length: scene.length }, (_, j) => j);

  return {
    animation: false,
    backgroundColor: 'transparent',
    tooltip: {
      trigger: 'item',
      confine: true,
      transitionDuration: 0,
      showDelay: 0,
      hideDelay: 0,
      formatter: (p: unknown) => {
        const j = (p as { dataIndex: number }).dataIndex;
        if (!(j >= 0 && j < scene.length)) return '';
        return tooltip(scene.node[j], scene.visibleIndex[j]);
      },
    },
    series: [
      {
        id: 'flame',
        type: 'custom',
        coordinateSystem: 'none',
        renderItem,
        data,
        // Render everything in one pass: progressive rendering would show a half-drawn graph.
        progressive: 0,
        animation: false,
        clip: false,
      },
    ],
  } as EChartsOption;
}

/** What the app's flamegraph component (FlameChart.vue) knows when it draws. */
export interface FlameChartInput {
  tree: LabelTree;
  layout: FlameLayout;
  zoomRoot: number;
  widthPx: number;
  orientation: FlameOrientation;
  matches?: Uint8Array | null;
  /** Defaults to the frame colours (framePaint); the diff view passes diffPaint. */
  paint?: FlamePaint;
  /** Percentages in the default tooltip are of this; defaults to the root's value. */
  totalValue?: number;
  units?: UnitSystem;
  tooltipFactory?: (visible: VisibleNodes) => (node: number, k: number) => string;
}

/**
 * The scene and the option of one render of the app's flamegraph: the whole tree's rows (so the
 * root never moves on a zoom) and the frame colours unless told otherwise.
 */
export function flameChart(input: FlameChartInput): { scene: FlameScene; option: EChartsOption } {
  const { tree, layout } = input;
  const scene = flameScene({
    tree,
    layout,
    zoomRoot: input.zoomRoot,
    widthPx: input.widthPx,
    orientation: input.orientation,
    rows: layout.maxDepth + 1,
    paint: input.paint ?? framePaint(tree),
    matches: input.matches,
  });
  const total = input.totalValue ?? (layout.n > 0 ? layout.x1[0] - layout.x0[0] : 0);
  const v = scene.visible;
  const tooltip = input.tooltipFactory
    ? input.tooltipFactory(v)
    : (_node: number, k: number) => defaultTooltip(tree, v, k, total, input.units);
  return { scene, option: buildFlameOption({ scene, tooltip }) };
}
