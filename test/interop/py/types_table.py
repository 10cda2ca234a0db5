#!/usr/bin/env python3
"""delta-rs (python `deltalake`) side of the data-type interop tests (types.interop-spec.ts).

usage: types_table.py write <table_uri>
           delta-rs writes a table of every type Spark writes, partitioned by a decimal column:
           decimal128(10,2) and decimal128(38,18), struct, list, map, timestamp without time
           zone (timestamp_ntz), binary; prints {"version", "protocol", "schema", "rows"}.
       types_table.py filter <table_uri> <column> <op> <json value>
           delta-rs reads the table with one filter, two ways: DataFusion SQL (QueryBuilder, which
           prunes files by their stats) and to_pyarrow_table(filters=...); prints
           {"sql": rows, "pyarrow": rows}. The value is a JSON scalar; a string is taken as a
           value of the column's type (decimal text, ISO-8601 timestamp).

Rows as in read_table.py (rows.py). On error prints {"error": "..."} and exits 2.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rows import emit, emit_error, run_main, table_to_rows  # noqa: E402

D = decimal.Decimal


def types_table():
    import pyarrow as pa

    point = pa.struct([pa.field("x", pa.int32()), pa.field("label", pa.string())])
    schema = pa.schema(
        [
            pa.field("id", pa.int64(), nullable=False),
            pa.field("price", pa.decimal128(10, 2)),
            pa.field("amount", pa.decimal128(38, 18)),
            pa.field("point", point),
            pa.field("tags", pa.list_(pa.string())),
            pa.field("attrs", pa.map_(pa.string(), pa.int64())),
            pa.field("local_time", pa.timestamp("us")),
            pa.field("payload", pa.binary()),
        ]
    )
    rows = [
        (1, D("12.50"), D("12345678901234567890.123456789012345678"), {"x": 1, "label": "un"}, ["a", "b"], [("k", 1), ("l", 2)],
         _dt.datetime(2024, 12, 12, 10, 0, 0, 123456), b"\x00\x01\xff"),
        (2, D("0.05"), D("-0.000000000000000001"), {"x": None, "label": "deux"}, [], [], _dt.datetime(1969, 12, 31, 23, 59, 59, 999999), b""),
        (3, D("12.50"), D("99999999999999999999.999999999999999999"), None, None, None, _dt.datetime(9999, 12, 31, 23, 59, 59, 999999), None),
        (4, None, None, {"x": 4, "label": None}, ["c", None], [("m", None)], None, b"abc"),
    ]
    columns = list(zip(*rows))
    return pa.table([pa.array(list(c), type=f.type) for c, f in zip(columns, schema)], schema=schema)


def write(uri: str) -> None:
    from deltalake import DeltaTable, write_deltalake

    if os.path.isdir(uri):
        shutil.rmtree(uri)
    write_deltalake(uri, types_table(), partition_by=["price"])
    dt = DeltaTable(uri)
    p = dt.protocol()
    emit(
        {
            "version": dt.version(),
            "protocol": {
                "minReaderVersion": p.min_reader_version,
                "minWriterVersion": p.min_writer_version,
                "readerFeatures": p.reader_features,
                "writerFeatures": p.writer_features,
            },
            "schema": json.loads(dt.schema().to_json()),
            "rows": table_to_rows(dt.to_pyarrow_table()),
        }
    )


SQL_OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def sql_literal(value, typ) -> str:
    """A DataFusion literal of the column's arrow type. Timestamps go through their epoch
    microseconds: DataFusion parses timestamp text into nanoseconds, which end in 2262."""
    import pyarrow as pa

    if not isinstance(value, str):
        return json.dumps(value)
    if pa.types.is_timestamp(typ):
        t = arrow_value(value, typ)
        epoch = _dt.datetime(1970, 1, 1, tzinfo=t.tzinfo)
        d = t - epoch
        micros = (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds
        zone = 'Some("UTC")' if typ.tz is not None else "None"
        return f"arrow_cast(CAST({micros} AS BIGINT), 'Timestamp(Microsecond, {zone})')"
    if pa.types.is_decimal(typ):
        return f"CAST('{value}' AS DECIMAL({typ.precision}, {typ.scale}))"
    return "'" + value.replace("'", "''") + "'"


def arrow_value(value, typ):
    import pyarrow as pa

    if not isinstance(value, str):
        return value
    if pa.types.is_decimal(typ):
        return D(value)
    if pa.types.is_timestamp(typ):
        t = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return t.replace(tzinfo=None) if typ.tz is None else t
    if pa.types.is_date(typ):
        return _dt.date.fromisoformat(value)
    return value


def filtered(uri: str, column: str, op: str, raw: str) -> None:
    from deltalake import DeltaTable, QueryBuilder

    value = json.loads(raw)
    dt = DeltaTable(uri)
    arrow = dt.to_pyarrow_table()
    typ = arrow.schema.field(column).type
    sql = f'SELECT * FROM t WHERE "{column}" {SQL_OPS[op]} {sql_literal(value, typ)}'
    import pyarrow as pa

    batches = QueryBuilder().register("t", dt).execute(sql).read_all()
    by_sql = pa.table(batches)
    by_filter = dt.to_pyarrow_table(filters=[(column, op, arrow_value(value, typ))])
    emit({"sql": table_to_rows(by_sql), "pyarrow": table_to_rows(by_filter)})


def main(argv: list[str]) -> None:
    if len(argv) == 2 and argv[0] == "write":
        write(argv[1])
    elif len(argv) == 5 and argv[0] == "filter":
        filtered(*argv[1:])
    else:
        emit_error("usage: types_table.py write <uri> | filter <uri> <column> <op> <json value>")


if __name__ == "__main__":
    run_main(main)
