#!/usr/bin/env python3
"""Read a Delta table with delta-rs (python `deltalake`) and print it as one JSON document.

usage: read_table.py <table_uri> [--version N | --timestamp ISO8601]
                     [--history] [--files] [--rows-limit N | --no-rows]

Rows are decoded by pyarrow from the Parquet files that delta-rs lists as active
(DeltaTable.to_pyarrow_table()); partition column values come from the log.
On error prints {"error": "..."} and exits 2.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rows import (  # noqa: E402
    JsonArgumentParser,
    arrow_schema_json,
    column_values,
    emit,
    emit_error,
    run_main,
    table_to_rows,
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = JsonArgumentParser(description="Read a Delta table with delta-rs and print JSON.")
    p.add_argument("table_uri")
    tt = p.add_mutually_exclusive_group()
    tt.add_argument("--version", type=int, help="time travel to this table version")
    tt.add_argument("--timestamp", help="time travel to this ISO-8601 instant (naive = UTC)")
    p.add_argument("--history", action="store_true", help="include dt.history()")
    p.add_argument("--files", action="store_true", help="include active add actions")
    rl = p.add_mutually_exclusive_group()
    rl.add_argument("--rows-limit", type=int, default=None, help="print only the first N sorted rows")
    rl.add_argument("--no-rows", action="store_true", help="do not print rows (still decodes the table)")
    return p.parse_args(argv)


def parse_timestamp(text: str) -> _dt.datetime:
    t = _dt.datetime.fromisoformat(text.strip().replace("z", "Z"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t


def storage_options(uri: str) -> dict | None:
    """S3 settings from the AWS variables the Node apps read: a custom endpoint, path-style, plain HTTP."""
    if not uri.startswith("s3://"):
        return None
    opts = {"AWS_REGION": os.environ.get("AWS_REGION") or "us-east-1"}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if os.environ.get(name):
            opts[name] = os.environ[name]
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3")
    if endpoint:
        opts["AWS_ENDPOINT_URL"] = endpoint
        opts["AWS_ALLOW_HTTP"] = "true" if endpoint.startswith("http://") else "false"
    path_style = os.environ.get("AWS_S3_FORCE_PATH_STYLE", "").lower() in ("true", "1", "yes")
    opts["AWS_VIRTUAL_HOSTED_STYLE_REQUEST"] = "false" if path_style else "true"
    return opts


def load_table(args: argparse.Namespace):
    from deltalake import DeltaTable

    options = storage_options(args.table_uri)
    if args.version is not None:
        return DeltaTable(args.table_uri, version=args.version, storage_options=options)
    dt = DeltaTable(args.table_uri, storage_options=options)
    if args.timestamp is not None:
        dt.load_as_version(parse_timestamp(args.timestamp))
    return dt


def files_json(dt) -> list[dict]:
    import pyarrow as pa

    adds = pa.table(dt.get_add_actions(flatten=True))  # arro3 Table -> pyarrow via C stream
    cols = {name: column_values(adds.column(name)) for name in adds.column_names}
    out = []
    for i in range(adds.num_rows):
        f: dict = {
            "path": None,
            "size": None,
            "numRecords": None,
            "modificationTime": None,
            "partitionValues": {},
            "minValues": {},
            "maxValues": {},
            "nullCount": {},
        }
        for name, values in cols.items():
            v = values[i]
            if name == "path":
                f["path"] = v
            elif name == "size_bytes":
                f["size"] = v
            elif name == "num_records":
                f["numRecords"] = v
            elif name == "modification_time":
                f["modificationTime"] = v
            elif name.startswith("partition."):
                f["partitionValues"][name[len("partition."):]] = v
            elif name.startswith("min."):
                f["minValues"][name[len("min."):]] = v
            elif name.startswith("max."):
                f["maxValues"][name[len("max."):]] = v
            elif name.startswith("null_count."):
                f["nullCount"][name[len("null_count."):]] = v
            else:
                f.setdefault("other", {})[name] = v
        out.append(f)
    out.sort(key=lambda f: f.get("path") or "")
    return out


def history_json(dt) -> list[dict]:
    out = []
    for h in dt.history():
        ts = h.get("timestamp")
        out.append(
            {
                "version": h.get("version"),
                "operation": h.get("operation"),
                "timestamp": ts,  # epoch milliseconds, as in commitInfo
                "timestampIso": None if ts is None else _ms_iso(ts),
                "operationParameters": _plain(h.get("operationParameters")),
                "operationMetrics": _plain(h.get("operationMetrics")),
                "engineInfo": h.get("engineInfo"),
                "clientVersion": h.get("clientVersion"),
            }
        )
    out.sort(key=lambda h: -1 if h["version"] is None else h["version"])
    return out


def _ms_iso(ms: int) -> str:
    return (_dt.datetime(1970, 1, 1) + _dt.timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _plain(v):
    # history() values are plain JSON types already; make sure of it.
    return json.loads(json.dumps(v, default=str)) if v is not None else None


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    if args.rows_limit is not None and args.rows_limit < 0:
        emit_error("--rows-limit must be >= 0")
    dt = load_table(args)

    proto = dt.protocol()
    protocol = {"minReaderVersion": proto.min_reader_version, "minWriterVersion": proto.min_writer_version}
    if proto.reader_features is not None:
        protocol["readerFeatures"] = list(proto.reader_features)
    if proto.writer_features is not None:
        protocol["writerFeatures"] = list(proto.writer_features)

    md = dt.metadata()
    metadata = {
        "id": md.id,
        "name": md.name,
        "description": md.description,
        "partitionColumns": list(md.partition_columns),
        "configuration": dict(md.configuration),
        "createdTime": md.created_time,
    }

    schema = [
        {"name": f["name"], "type": f["type"], "nullable": f["nullable"], "metadata": f.get("metadata", {})}
        for f in json.loads(dt.schema().to_json())["fields"]
    ]

    table = dt.to_pyarrow_table()
    doc = {
        "version": dt.version(),
        "protocol": protocol,
        "metadata": metadata,
        "schema": schema,
        "arrowSchema": arrow_schema_json(table.schema),
        "numRows": table.num_rows,
    }
    if not args.no_rows:
        doc["rows"] = table_to_rows(table, args.rows_limit)
    if args.files:
        doc["files"] = files_json(dt)
    if args.history:
        doc["history"] = history_json(dt)
    emit(doc, 0)


if __name__ == "__main__":
    run_main(main)
