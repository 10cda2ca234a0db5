import { AddAction, parseStats } from '@app/delta';

/**
 * Each sale counted once. Bronze keeps every Kafka record; a `vente_id` can therefore appear more
 * than once: an exact re-send, or the same id with another payload (a conflict). Silver counts
 * the sale's first occurrence only, "first" meaning the lowest
 * (date_ingestion, kafka_topic, kafka_partition, kafka_offset): the record that reached bronze
 * first, Kafka coordinates breaking ties between rows of one commit. That order does not depend
 * on the event day, so a duplicate arriving days later (another `jour`) still loses to the
 * original, in incremental runs as in a full refresh.
 *
 * Every bronze row has a row in SALE_OCCURRENCES_TABLE (its sale, coordinates, payload hash and
 * whether it is first), so an incremental run finds earlier occurrences of the sales it reads
 * without reading bronze's other days. The window is bronze's own: an occurrence is known as long
 * as its bronze day is kept (BRONZE_RETENTION_DAYS), which is also what a full refresh sees, so
 * both always agree.
 */

/** The order defining an occurrence's rank: ingestion time, then Kafka coordinates (unique per record). */
export const OCCURRENCE_ORDER = 'date_ingestion, kafka_topic, kafka_partition, kafka_offset';
/** Columns identifying one bronze row: its Kafka record. */
export const RECORD_KEY = 'kafka_topic, kafka_partition, kafka_offset';

/**
 * A bronze row's occurrence: sale, coordinates and a hash of the event's payload (its contract
 * fields, not the Kafka coordinates), so an exact duplicate has the same hash and a conflict
 * another. The hash only tells the two kinds apart in reports; which row counts never depends on it.
 */
export function occurrencesSql(bronzeSql: string): string {
  const payload = 'vente_id, client_id, produit_id, "timestamp", quantite, montant, client_nom, produit_nom, categorie, pays, segment';
  return `
SELECT vente_id, jour, date_ingestion, ${RECORD_KEY},
       CAST(md5_number_upper(CAST(ROW(${payload}) AS VARCHAR)) >> 1 AS BIGINT) AS payload_hash
FROM (${bronzeSql})`;
}

/** Ranks occurrences (rows of `occurrencesSql`) per sale: typed like SALE_OCCURRENCES_TABLE. */
export function rankedOccurrencesSql(occurrencesSql: string): string {
  return `
SELECT vente_id, jour, date_ingestion, ${RECORD_KEY}, payload_hash,
       row_number() OVER sale = 1 AS is_first,
       payload_hash <> first_value(payload_hash) OVER sale AS conflict
FROM (${occurrencesSql})
WINDOW sale AS (PARTITION BY vente_id ORDER BY ${OCCURRENCE_ORDER})`;
}

/** Bronze rows (`bronzeSql`) that are their sale's first occurrence according to `occurrencesTable`. */
export function firstOccurrenceSalesSql(bronzeSql: string, occurrencesTable: string): string {
  return `
SELECT b.* FROM (${bronzeSql}) b
SEMI JOIN (SELECT ${RECORD_KEY} FROM ${occurrencesTable} WHERE is_first) k USING (${RECORD_KEY})`;
}

/**
 * The occurrence files that may hold one of `ids` (ascending), by their vente_id min/max stats.
 * Producer ids grow with time, so a day's file spans a narrow range and new sales rarely hit
 * files of other days; a file without stats is kept.
 */
export function filesMayHoldIds(files: readonly AddAction[], ids: Float64Array): AddAction[] {
  return files.filter((f) => {
    const [min, max] = idRange(f);
    if (!Number.isFinite(min) || !Number.isFinite(max)) return true;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid] < min) lo = mid + 1;
      else hi = mid;
    }
    return lo < ids.length && ids[lo] <= max;
  });
}

/** The occurrence files whose vente_id range meets [lo, hi]; a file without stats is kept. */
export function filesMayHoldRange(files: readonly AddAction[], lo: number, hi: number): AddAction[] {
  return files.filter((f) => {
    const [min, max] = idRange(f);
    return !Number.isFinite(min) || !Number.isFinite(max) || (min <= hi && max >= lo);
  });
}

function idRange(f: AddAction): [number, number] {
  const stats = parseStats(f);
  return [Number(stats?.minValues?.vente_id), Number(stats?.maxValues?.vente_id)];
}
