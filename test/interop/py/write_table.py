#!/usr/bin/env python3
"""Write a Delta table with delta-rs (python `deltalake`) for interop tests; print one JSON document.

usage: write_table.py <table_uri> --scenario <name> [--force] [--no-rows]  (names: see SCENARIOS)
<table_uri>: a folder, or s3://bucket/prefix on the endpoint of the AWS variables (as read_table.py).

Scenario `dictionary_checkpoint` (deterministic, no randomness), sales table partitioned by `jour`:
  v0  create  200 rows (jour 2024-12-10..12)
  v1  append  200 rows
  v2  append  200 rows
  v3  delete  "jour = '2024-12-11' AND pays = 'Belgique'"  (rewrites files of one partition)
  v4  optimize.compact()                                  (more remove tombstones)
      create_checkpoint()  -> 00000000000000000004.checkpoint.parquet + _last_checkpoint
  v5  append  200 rows (jour 2024-12-12..13), so readers must combine checkpoint + json

Prints {"version", "numRows", "checkpointVersion", "dictionaryEncoded",
        "dictionaryEncodedColumns", "rows"} (rows as in read_table.py).
On error prints {"error": "..."} and exits 2.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from read_table import storage_options  # noqa: E402
from rows import JsonArgumentParser, emit, emit_error, run_main, table_to_rows  # noqa: E402

ROWS_PER_BATCH = 200
DICT_ENCODINGS = {"RLE_DICTIONARY", "PLAIN_DICTIONARY"}

CLIENTS = ["Zoé Martin", "Lucas Bernard", "Chloé Dubois", "Hugo Petit", "Léa Moreau", "Nathan Roux", "Emma Fournier"]
PRODUCTS = [  # (nom, categorie, prix unitaire)
    ("Clavier mécanique", "Informatique", 89.90),
    ("Souris sans fil", "Informatique", 24.50),
    ("Écran 27 pouces", "Informatique", 279.00),
    ("Cafetière", "Maison", 49.99),
    ("Bouilloire", "Maison", 29.95),
    ("Roman policier", "Livres", 12.40),
    ("Bande dessinée", "Livres", 15.00),
    ("Casque audio", "Audio", 129.00),
]
COUNTRIES = ["France", "Belgique", "Suisse", "Canada", "Luxembourg"]
SEGMENTS = ["Particulier", "Professionnel", "Entreprise"]


def sales_schema():
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("vente_id", pa.int64(), nullable=False),
            pa.field("client_id", pa.int32()),
            pa.field("produit_id", pa.int32()),
            pa.field("timestamp", pa.timestamp("us", tz="UTC")),
            pa.field("quantite", pa.int32()),
            pa.field("montant", pa.float64()),
            pa.field("client_nom", pa.string()),
            pa.field("produit_nom", pa.string()),
            pa.field("categorie", pa.string()),
            pa.field("pays", pa.string()),
            pa.field("segment", pa.string()),
            pa.field("jour", pa.date32()),
        ]
    )


def sales_batch(batch: int, days: list[_dt.date]):
    """ROWS_PER_BATCH deterministic rows; row i of batch b has vente_id 1_000_000 + b*200 + i."""
    import pyarrow as pa

    cols: dict[str, list] = {f.name: [] for f in sales_schema()}
    for i in range(ROWS_PER_BATCH):
        n = batch * ROWS_PER_BATCH + i
        day = days[i % len(days)]
        client = (n * 5 + n // 11) % len(CLIENTS)
        product = (n * 3 + batch) % len(PRODUCTS)
        nom, categorie, prix = PRODUCTS[product]
        quantite = 1 + (n % 5)
        # microsecond precision, spread over the day
        ts = _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.timezone.utc) + _dt.timedelta(
            seconds=(n * 397) % 86_400, microseconds=(n * 123_457) % 1_000_000
        )
        cols["vente_id"].append(1_000_000 + n)
        cols["client_id"].append(100 + client)
        cols["produit_id"].append(None if n % 53 == 0 else 500 + product)
        cols["timestamp"].append(ts)
        cols["quantite"].append(quantite)
        cols["montant"].append(round(prix * quantite, 2))
        cols["client_nom"].append(CLIENTS[client])
        cols["produit_nom"].append(nom)
        cols["categorie"].append(categorie)
        cols["pays"].append(COUNTRIES[(n // 3) % len(COUNTRIES)])
        cols["segment"].append(None if n % 7 == 0 else SEGMENTS[n % len(SEGMENTS)])
        cols["jour"].append(day)
    return pa.Table.from_pydict(cols, schema=sales_schema())


def filesystem(uri: str):
    """The pyarrow file system of a table location and the path in it: a local folder, or s3://bucket/key on the S3 endpoint."""
    import pyarrow.fs as pafs

    if uri.startswith("s3://"):
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3")
        fs = pafs.S3FileSystem(
            access_key=os.environ.get("AWS_ACCESS_KEY_ID"),
            secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
            region=os.environ.get("AWS_REGION") or "us-east-1",
            endpoint_override=endpoint,
            scheme="http" if endpoint and endpoint.startswith("http://") else "https",
            force_virtual_addressing=os.environ.get("AWS_S3_FORCE_PATH_STYLE", "").lower() not in ("true", "1", "yes"),
        )
        return fs, uri[len("s3://") :]
    if uri.startswith("file://"):
        return pafs.LocalFileSystem(), urllib.parse.unquote(urllib.parse.urlparse(uri).path)
    return pafs.LocalFileSystem(), os.path.abspath(uri)


def write(uri: str, data, **kwargs) -> None:
    from deltalake import write_deltalake

    write_deltalake(uri, data, storage_options=storage_options(uri), **kwargs)


def open_table(uri: str):
    from deltalake import DeltaTable

    return DeltaTable(uri, storage_options=storage_options(uri))


def dictionary_columns(dt) -> list[str]:
    """Columns whose chunks use dictionary encoding in at least one active data file."""
    import pyarrow.parquet as pq

    found: set[str] = set()
    for uri in dt.file_uris():
        fs, path = filesystem(uri)
        with fs.open_input_file(path) as fh:
            md = pq.ParquetFile(fh).metadata
        for rg in range(md.num_row_groups):
            group = md.row_group(rg)
            for c in range(group.num_columns):
                chunk = group.column(c)
                if DICT_ENCODINGS.intersection(chunk.encodings):
                    found.add(chunk.path_in_schema)
    return sorted(found)


def last_checkpoint_version(table_uri: str) -> int | None:
    import pyarrow.fs as pafs

    fs, path = filesystem(table_uri)
    p = f"{path.rstrip('/')}/_delta_log/_last_checkpoint"
    if fs.get_file_info(p).type == pafs.FileType.NotFound:
        return None
    with fs.open_input_stream(p) as fh:
        return json.loads(fh.read().decode("utf-8")).get("version")


def scenario_dictionary_checkpoint(uri: str):
    d = _dt.date
    days3 = [d(2024, 12, 10), d(2024, 12, 11), d(2024, 12, 12)]
    write(uri, sales_batch(0, days3), partition_by=["jour"], mode="error", name="ventes")  # v0
    write(uri, sales_batch(1, days3), mode="append")  # v1
    write(uri, sales_batch(2, days3), mode="append")  # v2
    dt = open_table(uri)
    dt.delete("jour = '2024-12-11' AND pays = 'Belgique'")  # v3: remove + add in one partition
    dt.optimize.compact()  # v4: removes the small files, adds one per partition
    dt = open_table(uri)
    checkpoint_version = dt.version()
    dt.create_checkpoint()
    write(uri, sales_batch(3, [d(2024, 12, 12), d(2024, 12, 13)]), mode="append")  # v5
    return checkpoint_version


def scenario_stats_struct_checkpoint(uri: str):
    """Three appends of 3 rows, then a checkpoint with stats_parsed only (writeStatsAsJson=false)."""
    import pyarrow as pa

    config = {"delta.checkpoint.writeStatsAsJson": "false", "delta.checkpoint.writeStatsAsStruct": "true"}
    for i in range(3):
        write(uri, pa.table({"id": pa.array([3 * i, 3 * i + 1, 3 * i + 2], pa.int64())}), mode="append", configuration=config)
    dt = open_table(uri)
    dt.create_checkpoint()
    return dt.version()


def scenario_added_column(uri: str):
    """Partition p=1 written before column b was added (schema merge); p=2 has it."""
    import pyarrow as pa

    write(uri, pa.table({"id": pa.array([1, 2], pa.int64()), "p": pa.array([1, 1], pa.int32())}), partition_by=["p"])
    b = pa.table({"id": pa.array([3], pa.int64()), "p": pa.array([2], pa.int32()), "b": pa.array(["x"], pa.string())})
    write(uri, b, mode="append", schema_mode="merge")
    return None


def scenario_vacuumed(uri: str):
    """v0 written, v1 overwrites it, then VACUUM with no retention deletes v0's files."""
    import pyarrow as pa

    write(uri, pa.table({"id": pa.array([1, 2], pa.int64())}))
    write(uri, pa.table({"id": pa.array([3], pa.int64())}), mode="overwrite")
    open_table(uri).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    return None


def scenario_nul_string(uri: str):
    """A string column holding a NUL character."""
    import pyarrow as pa

    write(uri, pa.table({"id": pa.array([1, 2], pa.int64()), "s": pa.array(["a\x00b", "ab"], pa.string())}))
    return None


SCENARIOS = {
    "dictionary_checkpoint": scenario_dictionary_checkpoint,
    "stats_struct_checkpoint": scenario_stats_struct_checkpoint,
    "added_column": scenario_added_column,
    "vacuumed": scenario_vacuumed,
    "nul_string": scenario_nul_string,
}


def main(argv: list[str]) -> None:
    p = JsonArgumentParser(description="Write a Delta table with delta-rs for interop tests.")
    p.add_argument("table_uri")
    p.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    p.add_argument("--force", action="store_true", help="delete an existing local table directory first")
    p.add_argument("--no-rows", action="store_true", help="omit rows from the output")
    args = p.parse_args(argv)

    import pyarrow.fs as pafs

    fs, path = filesystem(args.table_uri)
    if fs.get_file_info(pafs.FileSelector(path, allow_not_found=True, recursive=False)):
        if not args.force:
            emit_error(f"table location is not empty: {args.table_uri} (use --force to delete it)")
        fs.delete_dir_contents(path)

    checkpoint_version = SCENARIOS[args.scenario](args.table_uri)

    dt = open_table(args.table_uri)
    table = dt.to_pyarrow_table()
    dict_cols = dictionary_columns(dt)
    cp = last_checkpoint_version(args.table_uri)
    doc = {
        "version": dt.version(),
        "numRows": table.num_rows,
        "checkpointVersion": cp if cp is not None else checkpoint_version,
        "dictionaryEncoded": bool(dict_cols),
        "dictionaryEncodedColumns": dict_cols,
    }
    if not args.no_rows:
        doc["rows"] = table_to_rows(table)
    emit(doc, 0)


if __name__ == "__main__":
    run_main(main)
