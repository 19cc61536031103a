/**
 * `heapscope check`: the CI gate. Gathers the numbers from the engine; the verdict and its
 * wording come from the gate logic in main/export.
 */
import type { CaptureInfo } from '../../shared/api';
import type { Engine } from '../engine/engine';
import { notAvailable } from '../engine/errors';

export interface CheckLimits {
  maxPeakBytes?: number;
  maxLeakedBytes?: number;
  /** Allowed peak growth over the baseline, as a fraction (0.1 = 10 %). */
  maxGrowth?: number;
}

export interface CheckOutcome {
  passed: boolean;
  /** One paragraph: what was checked, and for a failure the top offending sites. */
  text: string;
  junitXml: string;
}

export async function runCheck(
  _engine: Engine,
  _input: { capture: CaptureInfo; baseline?: CaptureInfo; limits: CheckLimits },
): Promise<CheckOutcome> {
  throw notAvailable('the check gate (main/export)');
}
