#!/usr/bin/env python3
"""Count one client's rows with delta-rs in every version of a Delta table, and in every Parquet
file left under its folder (live or not), for the right-to-erasure test.

usage: client_rows.py <table_path> --column C --value N [--json-member M]

With --json-member, the column holds JSON documents and a row is the client's when the
document's member M parses and equals N (as `"client_id": 7` or `"client_id": "7"`).
Prints {"versions": {"<v>": count | {"error": "..."}}, "files": {"<relative path>": count}}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from rows import emit, error_message, run_main  # noqa: E402


def count_client(table, column: str, value: int, member: str | None) -> int:
    if column not in table.column_names:
        return 0
    values = table.column(column).to_pylist()
    if member is None:
        return sum(1 for v in values if v is not None and int(v) == value)
    n = 0
    for doc in values:
        try:
            parsed = json.loads(doc) if doc is not None else None
        except ValueError:
            continue
        if not isinstance(parsed, dict):
            continue
        try:
            if member in parsed and float(parsed[member]) == value:
                n += 1
        except (TypeError, ValueError):
            continue
    return n


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("table_path")
    p.add_argument("--column", required=True)
    p.add_argument("--value", type=int, required=True)
    p.add_argument("--json-member")
    args = p.parse_args(argv)

    import pyarrow.parquet as pq
    from deltalake import DeltaTable

    latest = DeltaTable(args.table_path).version()
    versions: dict[str, object] = {}
    for v in range(latest + 1):
        try:
            table = DeltaTable(args.table_path, version=v).to_pyarrow_table()
            versions[str(v)] = count_client(table, args.column, args.value, args.json_member)
        except Exception as exc:  # noqa: BLE001 - a version whose files were vacuumed, or whose log was cleaned
            versions[str(v)] = {"error": error_message(exc)}
    files: dict[str, int] = {}
    for folder, dirs, names in os.walk(args.table_path):
        dirs[:] = [d for d in dirs if d != "_delta_log"]
        for name in names:
            if name.endswith(".parquet"):
                full = os.path.join(folder, name)
                files[os.path.relpath(full, args.table_path)] = count_client(pq.read_table(full), args.column, args.value, args.json_member)
    emit({"latest": latest, "versions": versions, "files": files}, 0)


if __name__ == "__main__":
    run_main(main)
