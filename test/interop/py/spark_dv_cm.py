#!/usr/bin/env python3
"""Write, with Spark (pyspark + delta-spark, local[1]), the tables Databricks writes by default,
and print what Spark reads back from them as one JSON document.

usage: spark_dv_cm.py <output_dir>

Tables written under <output_dir>:
  dv       deletion vectors, partitioned by `part`: DELETEs making bitmap and array containers
           (Spark writes no run containers), a second DELETE on a file that already has a DV
           (the DV is replaced), and a checkpoint (delta.checkpointInterval=2) with commits after it;
  cm_name  column mapping in name mode, partitioned by a column renamed afterwards, with a
           RENAME COLUMN, a DROP COLUMN, an ADD COLUMN and a column name with a space, each
           followed by more data;
  cm_id_dv the same in id mode, with deletion vectors too (a DELETE and an UPDATE at the end);
  all_features column mapping in name mode and deletion vectors, with decimals, a struct holding a
           struct, an array of structs and a map of structs, a nested field renamed after some
           data, and a DELETE;
  all_features_id the same in id mode.

Prints {"tables": {name: {"rows": [...], "count": n, "protocol": {...}}}}, rows sorted by `id`, values
as spark_types.py gives them (decimals as exact text, maps as [key, value] pairs sorted by key).
The delta jars come from Maven Central through configure_spark_with_delta_pip (ivy cache).
"""

from __future__ import annotations

import json
import os
import sys

from pyspark.sql import SparkSession
from spark_session import delta_session
from spark_types import rows_of


def write_dv(spark: SparkSession, path: str) -> None:
    spark.sql(
        f"CREATE TABLE delta.`{path}` (id BIGINT, name STRING, amount DOUBLE, part STRING) USING delta "
        "PARTITIONED BY (part) TBLPROPERTIES ('delta.enableDeletionVectors' = 'true', "
        "'delta.checkpointInterval' = '2')"
    )
    # One file per partition: 20,000 rows in `a`, 500 in `b`.
    spark.sql(
        f"INSERT INTO delta.`{path}` SELECT id, concat('n', id), CAST(id AS DOUBLE) * 1.5, IF(id < 20000, 'a', 'b') "
        "FROM range(20500)"
    )
    # Every third row of `a`: more than 4,096 in one 65,536 block, a bitmap container.
    spark.sql(f"DELETE FROM delta.`{path}` WHERE part = 'a' AND id % 3 = 0")
    # A contiguous range of the same file: its DV is replaced by a new one holding both deletes.
    spark.sql(f"DELETE FROM delta.`{path}` WHERE id BETWEEN 15000 AND 15999")
    # A few rows of `b`: an array container.
    spark.sql(f"DELETE FROM delta.`{path}` WHERE id IN (20005, 20007, 20499)")
    spark.sql(f"INSERT INTO delta.`{path}` SELECT id, concat('n', id), CAST(id AS DOUBLE) * 1.5, 'c' FROM range(30000, 30010)")


def write_column_mapping(spark: SparkSession, path: str, mode: str, deletion_vectors: bool) -> None:
    props = f"'delta.columnMapping.mode' = '{mode}'"
    if deletion_vectors:
        props += ", 'delta.enableDeletionVectors' = 'true'"
    spark.sql(
        f"CREATE TABLE delta.`{path}` (id BIGINT, value STRING, amount DOUBLE, country STRING) USING delta "
        f"PARTITIONED BY (country) TBLPROPERTIES ({props})"
    )
    spark.sql(
        f"INSERT INTO delta.`{path}` SELECT id, concat('v', id), CAST(id AS DOUBLE) / 4, IF(id % 2 = 0, 'FR', 'DE') FROM range(0, 40)"
    )
    spark.sql(f"ALTER TABLE delta.`{path}` RENAME COLUMN value TO label")
    spark.sql(f"ALTER TABLE delta.`{path}` RENAME COLUMN country TO pays")
    spark.sql(
        f"INSERT INTO delta.`{path}` (id, label, amount, pays) SELECT id, concat('w', id), CAST(id AS DOUBLE) / 8, 'IT' FROM range(40, 50)"
    )
    spark.sql(f"ALTER TABLE delta.`{path}` DROP COLUMN amount")
    spark.sql(f"ALTER TABLE delta.`{path}` ADD COLUMNS (`unit price` INT)")
    # A column added later under a dropped column's old name: a new physical name, so old files read null.
    spark.sql(f"ALTER TABLE delta.`{path}` ADD COLUMNS (amount STRING)")
    spark.sql(
        f"INSERT INTO delta.`{path}` (id, label, `unit price`, amount, pays) "
        "SELECT id, concat('x', id), CAST(id AS INT), CAST(id AS STRING), 'ES' FROM range(50, 60)"
    )
    if deletion_vectors:
        spark.sql(f"DELETE FROM delta.`{path}` WHERE id % 5 = 0")
        spark.sql(f"UPDATE delta.`{path}` SET label = 'updated' WHERE id = 7")


def write_all_features(spark: SparkSession, path: str, mode: str) -> None:
    spark.sql(
        f"CREATE TABLE delta.`{path}` (id BIGINT, amount DECIMAL(38,18), price DECIMAL(10,2), "
        "customer STRUCT<name: STRING, address: STRUCT<city: STRING, zip: INT>>, "
        "lines ARRAY<STRUCT<sku: STRING, qty: INT>>, "
        "by_store MAP<STRING, STRUCT<total: DECIMAL(10,2), open: BOOLEAN>>) USING delta "
        f"TBLPROPERTIES ('delta.columnMapping.mode' = '{mode}', 'delta.enableDeletionVectors' = 'true')"
    )
    rows = (
        "SELECT id, CAST(id AS DECIMAL(38,18)) / 7, CAST(id * 1.25 AS DECIMAL(10,2)), "
        "IF(id % 4 = 3, NULL, named_struct('name', concat('c', id), "
        "'address', IF(id % 5 = 4, NULL, named_struct('city', concat('city', id % 3), 'zip', CAST(75000 + id AS INT))))), "
        "IF(id % 6 = 5, NULL, transform(sequence(1, CAST(id % 3 AS INT)), i -> named_struct('sku', concat('s', id, '-', i), 'qty', i))), "
        "IF(id % 7 = 6, NULL, map(concat('store', id % 2), named_struct('total', CAST(id AS DECIMAL(10,2)), 'open', id % 2 = 0), "
        "'web', IF(id % 3 = 0, NULL, named_struct('total', CAST(0.5 AS DECIMAL(10,2)), 'open', true)))) "
    )
    spark.sql(f"INSERT INTO delta.`{path}` {rows} FROM range(0, 20)")
    # Old files keep the nested field's physical name: only the schema knows it as `town` now.
    spark.sql(f"ALTER TABLE delta.`{path}` RENAME COLUMN customer.address.city TO town")
    spark.sql(f"ALTER TABLE delta.`{path}` RENAME COLUMN lines TO items")
    spark.sql(f"INSERT INTO delta.`{path}` {rows} FROM range(20, 30)")
    spark.sql(f"DELETE FROM delta.`{path}` WHERE id % 4 = 1")


def table_json(spark: SparkSession, path: str) -> dict:
    df = spark.read.format("delta").load(path)
    # Exact values (decimals as text, maps as sorted pairs), as spark_types.py gives them.
    rows = rows_of(df)
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{path}`").collect()[0].asDict()
    return {
        "rows": rows,
        "columns": df.columns,
        "count": len(rows),
        "protocol": {
            "minReaderVersion": detail.get("minReaderVersion"),
            "minWriterVersion": detail.get("minWriterVersion"),
            "tableFeatures": detail.get("tableFeatures"),
        },
    }


def main() -> None:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    spark = delta_session("spark_dv_cm")
    spark.sparkContext.setLogLevel("ERROR")
    try:
        paths = {name: os.path.join(out, name) for name in ("dv", "cm_name", "cm_id_dv", "all_features", "all_features_id")}
        write_dv(spark, paths["dv"])
        write_column_mapping(spark, paths["cm_name"], "name", False)
        write_column_mapping(spark, paths["cm_id_dv"], "id", True)
        write_all_features(spark, paths["all_features"], "name")
        write_all_features(spark, paths["all_features_id"], "id")
        print(json.dumps({"tables": {name: table_json(spark, p) for name, p in paths.items()}}))
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
