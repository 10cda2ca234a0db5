import { Action, AddAction, checkConflicts, CommitConflictError, ConflictKind, footprint, TransactionFootprint } from '@app/delta';

function add(path: string, jour: string | null, dataChange = true): { add: AddAction } {
  return { add: { path, partitionValues: { jour }, size: 100, modificationTime: 1, dataChange } };
}

function winner(isBlindAppend: boolean, ...actions: Action[]): Action[] {
  return [{ commitInfo: { timestamp: 1, operation: 'WRITE', operationParameters: {}, isBlindAppend } }, ...actions];
}

const remove = (path: string, dataChange = true): Action => ({ remove: { path, dataChange, deletionTimestamp: 1 } });

function conflictOf(fp: TransactionFootprint, actions: Action[], version = 7): CommitConflictError | undefined {
  try {
    checkConflicts(fp, actions, version);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(CommitConflictError);
    return e as CommitConflictError;
  }
}

function expectConflict(fp: TransactionFootprint, actions: Action[], kind: ConflictKind): void {
  const err = conflictOf(fp, actions, 7);
  expect(err).toBeDefined();
  expect(err!.kind).toBe(kind);
  expect(err!.winningVersion).toBe(7);
  expect(err!.name).toBe('CommitConflictError');
  expect(err!.message).toMatch(new RegExp(`^${kind}: commit 7 conflicts`));
}

describe('checkConflicts', () => {
  it('passes two blind appends (the winner adds files, we read nothing)', () => {
    expect(conflictOf(footprint(), winner(true, add('a', '2024-12-12')))).toBeUndefined();
  });

  it('passes a winner with only commitInfo (e.g. VACUUM START)', () => {
    expect(conflictOf(footprint({ readPartitions: 'all', readFiles: new Set(['a']) }), winner(false))).toBeUndefined();
  });

  describe('ProtocolChanged', () => {
    it('any protocol action in the winner', () => {
      expectConflict(footprint(), winner(false, { protocol: { minReaderVersion: 1, minWriterVersion: 2 } }), 'ProtocolChanged');
    });
  });

  describe('MetadataChanged', () => {
    it('any metaData action in the winner, even against a blind append', () => {
      const metaData = { id: 'x', format: { provider: 'parquet', options: {} }, schemaString: '{}', partitionColumns: [], configuration: {} };
      expectConflict(footprint(), winner(false, { metaData }), 'MetadataChanged');
    });
  });

  describe('ConcurrentAppend', () => {
    const read = footprint({ readPartitions: [{ jour: '2024-12-12' }] });

    it('a non-blind add in a partition we read', () => {
      expectConflict(read, winner(false, add('x', '2024-12-12')), 'ConcurrentAppend');
    });

    it('not for an add in another partition', () => {
      expect(conflictOf(read, winner(false, add('x', '2024-12-13')))).toBeUndefined();
    });

    it('not for a blind-append winner at WriteSerializable', () => {
      expect(conflictOf(read, winner(true, add('x', '2024-12-12')))).toBeUndefined();
    });

    it('a blind-append winner does conflict when we change the metadata', () => {
      expectConflict(footprint({ readPartitions: [{ jour: '2024-12-12' }], changesMetadata: true }), winner(true, add('x', '2024-12-12')), 'ConcurrentAppend');
    });

    it('any non-blind add when we read the whole table', () => {
      expectConflict(footprint({ readPartitions: 'all' }), winner(false, add('x', '1999-01-01')), 'ConcurrentAppend');
    });

    it('not for adds with dataChange=false (compaction)', () => {
      expect(conflictOf(footprint({ readPartitions: 'all' }), winner(false, add('x', '2024-12-12', false)))).toBeUndefined();
    });

    it('not when we only rearrange data (snapshot isolation, e.g. OPTIMIZE)', () => {
      expect(conflictOf(footprint({ readPartitions: 'all', rearrangeOnly: true }), winner(false, add('x', '2024-12-12')))).toBeUndefined();
    });

    it('matches null partition values, missing keys counting as null', () => {
      const nullRead = footprint({ readPartitions: [{ jour: null }] });
      expectConflict(nullRead, winner(false, add('x', null)), 'ConcurrentAppend');
      expectConflict(nullRead, winner(false, { add: { path: 'y', partitionValues: {}, size: 1, modificationTime: 1, dataChange: true } }), 'ConcurrentAppend');
      expect(conflictOf(nullRead, winner(false, add('z', '2024-12-12')))).toBeUndefined();
    });
  });

  describe('ConcurrentDeleteRead', () => {
    it('the winner removed a file we read', () => {
      expectConflict(footprint({ readFiles: new Set(['a', 'b']) }), winner(false, remove('b')), 'ConcurrentDeleteRead');
    });

    it('also when the winner only rearranged the file (dataChange=false)', () => {
      expectConflict(footprint({ readFiles: new Set(['a']) }), winner(false, remove('a', false)), 'ConcurrentDeleteRead');
    });

    it('not for the removal of a file we did not read', () => {
      expect(conflictOf(footprint({ readFiles: new Set(['a']) }), winner(false, remove('c')))).toBeUndefined();
    });
  });

  describe('ConcurrentDeleteDelete', () => {
    it('the winner removed a file we remove too', () => {
      expectConflict(footprint({ readFiles: new Set(['a']), removedFiles: new Set(['a']) }), winner(false, remove('a')), 'ConcurrentDeleteDelete');
    });
  });

  describe('ConcurrentTransaction', () => {
    it('the winner wrote a txn for one of our app ids', () => {
      const fp = footprint({ appIds: new Set(['ingest-1', 'ingest-2']) });
      expectConflict(fp, winner(true, { txn: { appId: 'ingest-2', version: 4 } }, add('x', '2024-12-12')), 'ConcurrentTransaction');
    });

    it('not for another app id', () => {
      expect(conflictOf(footprint({ appIds: new Set(['ingest-1']) }), winner(true, { txn: { appId: 'ingest-3', version: 4 } }))).toBeUndefined();
    });
  });

  describe('isolation levels and partition read predicates (DELETE, UPDATE)', () => {
    const readsDay12 = (pv: Record<string, string | null>) => pv.jour === '2024-12-12';

    it('WriteSerializable (default): a blind append to a partition read does not conflict; a non-blind write there does', () => {
      const fp = footprint({ readPartitions: 'all', readsPartition: readsDay12 });
      expect(conflictOf(fp, winner(true, add('x', '2024-12-12')))).toBeUndefined();
      expectConflict(fp, winner(false, add('x', '2024-12-12')), 'ConcurrentAppend');
      expect(conflictOf(fp, winner(false, add('y', '2024-12-13')))).toBeUndefined();
    });

    it('Serializable: a blind append to a partition read conflicts, to another partition it does not', () => {
      const fp = footprint({ readPartitions: 'all', readsPartition: readsDay12, isolationLevel: 'Serializable' });
      expectConflict(fp, winner(true, add('x', '2024-12-12')), 'ConcurrentAppend');
      expect(conflictOf(fp, winner(true, add('y', '2024-12-13')))).toBeUndefined();
    });
  });
});
