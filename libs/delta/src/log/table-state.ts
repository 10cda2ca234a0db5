import {
  Action,
  AddAction,
  deletionVectorUniqueId,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  TxnAction,
} from '../protocol/actions';

/**
 * The reconciled state of a table (PROTOCOL.md "Action Reconciliation"): last protocol and
 * metaData win, files are keyed by path, a remove turns a live file into a tombstone, and the
 * last txn per appId wins (not the largest).
 */
export class TableState {
  protocol?: ProtocolAction;
  metadata?: MetadataAction;
  readonly files = new Map<string, AddAction>();
  readonly tombstones = new Map<string, RemoveAction>();
  readonly txns = new Map<string, TxnAction>();

  apply(actions: readonly Action[]): void {
    for (const a of actions) {
      if ('add' in a) {
        this.files.set(a.add.path, a.add);
        this.tombstones.delete(a.add.path);
      } else if ('remove' in a) {
        // A logical file is (path, deletion vector): a DELETE that replaces a file's vector
        // removes the old pair and adds the new one, in either order in its commit.
        const live = this.files.get(a.remove.path);
        if (live && deletionVectorUniqueId(live.deletionVector) === deletionVectorUniqueId(a.remove.deletionVector)) this.files.delete(a.remove.path);
        this.tombstones.set(a.remove.path, a.remove);
      } else if ('txn' in a) {
        this.txns.set(a.txn.appId, a.txn);
      } else if ('metaData' in a) {
        this.metadata = a.metaData;
      } else if ('protocol' in a) {
        this.protocol = a.protocol;
      }
    }
  }

  /**
   * Forgets tombstones deleted before `cutoff` (ms): no version a reader may still open needs
   * them, checkpoints leave them out, and a long-running writer would otherwise keep every file
   * ever compacted away in memory.
   */
  pruneTombstones(cutoff: number): void {
    for (const [path, r] of this.tombstones) if ((r.deletionTimestamp ?? 0) <= cutoff) this.tombstones.delete(path);
  }

  /** Takes over another state's content (a snapshot rebuilt from a newer checkpoint, updated in place). */
  replaceWith(other: TableState): void {
    this.protocol = other.protocol;
    this.metadata = other.metadata;
    for (const m of ['files', 'tombstones', 'txns'] as const) {
      (this[m] as Map<string, unknown>).clear();
      for (const [k, v] of other[m] as Map<string, unknown>) (this[m] as Map<string, unknown>).set(k, v);
    }
  }

  /** The state as actions: protocol, metaData, txns, live files and tombstones. */
  actions(): Action[] {
    return [
      ...(this.protocol ? [{ protocol: this.protocol }] : []),
      ...(this.metadata ? [{ metaData: this.metadata }] : []),
      ...[...this.txns.values()].map((txn) => ({ txn })),
      ...[...this.files.values()].map((add) => ({ add })),
      ...[...this.tombstones.values()].map((remove) => ({ remove })),
    ];
  }

  clone(): TableState {
    const s = new TableState();
    s.protocol = this.protocol;
    s.metadata = this.metadata;
    for (const [k, v] of this.files) s.files.set(k, v);
    for (const [k, v] of this.tombstones) s.tombstones.set(k, v);
    for (const [k, v] of this.txns) s.txns.set(k, v);
    return s;
  }
}
