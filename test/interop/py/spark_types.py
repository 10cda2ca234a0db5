#!/usr/bin/env python3
"""Spark (pyspark + delta-spark, local[1]) side of the data-type interop test (spark-types.interop-spec.ts).

usage: spark_types.py <table_dir> [--read <table_uri>] [--filter <column> <sql literal>]...

Writes, at <table_dir>, a table of the types Spark writes, partitioned by a decimal column, in
two INSERTs (so two files per partition value):
  id BIGINT, price DECIMAL(10,2) (the partition column), amount DECIMAL(38,18),
  point STRUCT<x INT, label STRING, at TIMESTAMP_NTZ>, tags ARRAY<STRING>,
  prices ARRAY<DECIMAL(10,2)>, attrs MAP<STRING, BIGINT>, local_time TIMESTAMP_NTZ,
  ts TIMESTAMP, payload BINARY.
With --read, Spark also reads the table at <table_uri> (one written by libs/delta), whole and
with each --filter as `WHERE <column> = <sql literal>`, in the same Spark session.

Prints {"written": {"rows", "protocol"}, "read": {"rows", "filtered": [ids...]}}. Values as
rows.py prints them, except that decimals are plain text with their scale's digits ("-0.50"),
maps are [key, value] pairs sorted by key (Spark gives them to Python as dicts), and rows are
sorted by id. The delta jars come from Maven Central through configure_spark_with_delta_pip
and are kept in the ivy cache.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import json
import os
import sys
import time

# DECIMAL(38,18) values have more digits than the default context's 28.
decimal.getcontext().prec = 76

# TIMESTAMP values reach Python as naive datetimes in the process's time zone: make it UTC.
os.environ["TZ"] = "UTC"
time.tzset()

from pyspark.sql import SparkSession  # noqa: E402
from spark_session import delta_session  # noqa: E402


def write_types(spark: SparkSession, path: str) -> None:
    spark.sql(
        f"CREATE TABLE delta.`{path}` (id BIGINT NOT NULL, price DECIMAL(10,2), amount DECIMAL(38,18), "
        "point STRUCT<x: INT, label: STRING, at: TIMESTAMP_NTZ>, tags ARRAY<STRING>, prices ARRAY<DECIMAL(10,2)>, "
        "attrs MAP<STRING, BIGINT>, local_time TIMESTAMP_NTZ, ts TIMESTAMP, payload BINARY) USING delta PARTITIONED BY (price)"
    )
    spark.sql(
        f"""INSERT INTO delta.`{path}` VALUES
        (1, 12.50, 12345678901234567890.123456789012345678, named_struct('x', 1, 'label', 'un', 'at', TIMESTAMP_NTZ'2024-12-12 10:00:00.123456'),
         array('a', 'b'), array(1.25, -0.5), map('k', 1L, 'l', 9223372036854775807L), TIMESTAMP_NTZ'2024-12-12 10:00:00.123456',
         TIMESTAMP'2024-12-12 10:00:00.654321Z', X'0001FF'),
        (2, -0.50, -0.000000000000000001, named_struct('x', CAST(NULL AS INT), 'label', 'deux', 'at', CAST(NULL AS TIMESTAMP_NTZ)),
         array(), array(), map(), TIMESTAMP_NTZ'1969-12-31 23:59:59.999999', TIMESTAMP'1969-12-31 23:59:59.999999Z', X''),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"""
    )
    spark.sql(
        f"""INSERT INTO delta.`{path}` VALUES
        (4, 12.50, 99999999999999999999.999999999999999999, named_struct('x', 4, 'label', CAST(NULL AS STRING), 'at', TIMESTAMP_NTZ'9999-12-31 23:59:59.999999'),
         array('c', NULL), array(CAST(NULL AS DECIMAL(10,2)), 99999999.99), map('m', CAST(NULL AS BIGINT)), TIMESTAMP_NTZ'9999-12-31 23:59:59.999999',
         TIMESTAMP'9999-12-31 23:59:59.999999Z', X'616263'),
        (5, -0.50, 0.5, named_struct('x', 5, 'label', 'cinq', 'at', TIMESTAMP_NTZ'2000-01-01 00:00:00'),
         array('e'), array(0.01), map('z', -1L, 'a', 2L), TIMESTAMP_NTZ'2000-01-01 00:00:00', TIMESTAMP'2000-01-01 00:00:00Z', X'05')"""
    )


EPOCH = _dt.datetime(1970, 1, 1)


def iso(t: _dt.datetime, utc: bool) -> str:
    d = t.replace(tzinfo=None) - EPOCH
    micros = (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds
    seconds, frac = divmod(micros, 1_000_000)
    base = (EPOCH + _dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{frac:06d}" + ("Z" if utc else "")


def json_value(v, typ):
    from pyspark.sql import types as T

    if v is None:
        return None
    if isinstance(typ, T.DecimalType):
        return format(v.quantize(decimal.Decimal(1).scaleb(-typ.scale)), "f")
    if isinstance(typ, T.TimestampNTZType):
        return iso(v, False)
    if isinstance(typ, T.TimestampType):
        return iso(v, True)
    if isinstance(typ, T.BinaryType):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(typ, T.LongType):
        return v if -(2**53 - 1) <= v <= 2**53 - 1 else str(v)
    if isinstance(typ, T.StructType):
        return {f.name: json_value(v[f.name], f.dataType) for f in typ.fields}
    if isinstance(typ, T.ArrayType):
        return [json_value(x, typ.elementType) for x in v]
    if isinstance(typ, T.MapType):
        return sorted([json_value(k, typ.keyType), json_value(x, typ.valueType)] for k, x in v.items())
    return v


def rows_of(df) -> list[dict]:
    fields = df.schema.fields
    rows = [{f.name: json_value(r[f.name], f.dataType) for f in fields} for r in df.collect()]
    return sorted(rows, key=lambda r: r["id"])


def protocol_of(spark: SparkSession, path: str) -> dict:
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{path}`").collect()[0].asDict()
    return {
        "minReaderVersion": detail["minReaderVersion"],
        "minWriterVersion": detail["minWriterVersion"],
        "tableFeatures": sorted(detail.get("tableFeatures") or []),
    }


def main(argv: list[str]) -> None:
    if not argv:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    table_dir, rest = argv[0], argv[1:]
    read_uri = None
    filters: list[tuple[str, str]] = []
    while rest:
        if rest[0] == "--read" and len(rest) >= 2:
            read_uri, rest = rest[1], rest[2:]
        elif rest[0] == "--filter" and len(rest) >= 3:
            filters.append((rest[1], rest[2]))
            rest = rest[3:]
        else:
            print(f"unexpected arguments: {rest}", file=sys.stderr)
            sys.exit(2)
    spark = delta_session("spark_types")
    try:
        write_types(spark, table_dir)
        doc: dict = {"written": {"rows": rows_of(spark.read.format("delta").load(table_dir)), "protocol": protocol_of(spark, table_dir)}}
        if read_uri is not None:
            df = spark.read.format("delta").load(read_uri)
            df.createOrReplaceTempView("ours")
            doc["read"] = {
                "rows": rows_of(df),
                "filtered": [
                    sorted(r["id"] for r in spark.sql(f"SELECT id FROM ours WHERE `{column}` = {literal}").collect())
                    for column, literal in filters
                ],
            }
        sys.stdout.write(json.dumps(doc) + "\n")
        sys.stdout.flush()
    finally:
        spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
