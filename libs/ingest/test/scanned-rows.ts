import { LayoutScan } from '../src/decode/wasm/layout-scan';

/**
 * Runs `run` and returns how many rows the WebAssembly layout scan took on its fast path, so that
 * a spec can show it is not vacuous. LayoutScan.prototype.scan is wrapped for the while: a jest
 * spy would keep every call's arguments.
 */
export function countScannedRows(run: () => void): number {
  let rows = 0;
  const scan = LayoutScan.prototype.scan;
  LayoutScan.prototype.scan = function (this: LayoutScan, row: number): number {
    const end = scan.call(this, row);
    rows += end - row;
    return end;
  };
  try {
    run();
  } finally {
    LayoutScan.prototype.scan = scan;
  }
  return rows;
}
