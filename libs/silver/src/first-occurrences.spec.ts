import { AddAction } from '@app/delta';
import { filesMayHoldIds, filesMayHoldRange } from './first-occurrences';

const file = (path: string, min?: number, max?: number): AddAction => ({
  path,
  partitionValues: {},
  size: 1,
  modificationTime: 0,
  dataChange: true,
  ...(min === undefined ? {} : { stats: JSON.stringify({ numRecords: 1, minValues: { vente_id: min }, maxValues: { vente_id: max } }) }),
});

describe('occurrence file pruning by vente_id stats', () => {
  const files = [file('a', 1, 100), file('b', 101, 200), file('c', 201, 300), file('no-stats')];

  it('keeps the files whose range holds one of the ids, and files without stats', () => {
    expect(filesMayHoldIds(files, Float64Array.of(5, 250)).map((f) => f.path)).toEqual(['a', 'c', 'no-stats']);
    expect(filesMayHoldIds(files, Float64Array.of(301, 400)).map((f) => f.path)).toEqual(['no-stats']);
    // Bounds are inclusive.
    expect(filesMayHoldIds(files, Float64Array.of(100, 101)).map((f) => f.path)).toEqual(['a', 'b', 'no-stats']);
    expect(filesMayHoldIds(files, new Float64Array()).map((f) => f.path)).toEqual(['no-stats']);
  });

  it('keeps the files whose range meets [lo, hi]', () => {
    expect(filesMayHoldRange(files, 150, 201).map((f) => f.path)).toEqual(['b', 'c', 'no-stats']);
    expect(filesMayHoldRange(files, 301, 999).map((f) => f.path)).toEqual(['no-stats']);
  });
});
