"""Shared helpers for the delta-rs interop scripts (read_table.py, write_table.py, …).

Converts pyarrow tables to JSON-safe rows with a deterministic order, and
prints the single JSON document the jest tests parse, a failure included.

Value conventions (must match what the TypeScript tests expect):
  - timestamp with tz  -> "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC, always 6 digits;
                          9 digits for a nanosecond column)
  - timestamp no tz    -> same without the trailing "Z" (timestamp_ntz)
  - date               -> "YYYY-MM-DD"
  - int                -> int; 64-bit values outside +-(2^53 - 1) -> decimal string
  - float              -> float; NaN / Infinity / -Infinity -> those strings
  - decimal            -> string as Python's Decimal prints it (e.g. "12.50")
  - binary             -> base64 string
  - null               -> null
  - struct             -> object; list -> array; map -> array of [key, value]
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import decimal
import json
import math
import os
import sys
from typing import Any, Callable

import pyarrow as pa

MAX_SAFE_INT = 2**53 - 1
_EPOCH = _dt.datetime(1970, 1, 1)
_UNIT_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def format_timestamp(value: int, unit: str, utc: bool) -> str:
    """Epoch value in `unit` -> ISO-8601 string (microseconds, or nanoseconds)."""
    per_sec = _UNIT_PER_SECOND[unit]
    seconds, frac = divmod(value, per_sec)  # floor division: frac >= 0
    base = (_EPOCH + _dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    if unit == "ns":
        text = f"{base}.{frac:09d}"
    else:
        text = f"{base}.{frac * (1_000_000 // per_sec):06d}"
    return text + ("Z" if utc else "")


def _safe_int(v: int) -> int | str:
    return v if -MAX_SAFE_INT <= v <= MAX_SAFE_INT else str(v)


def _safe_float(v: float) -> float | str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def json_value(v: Any, typ: pa.DataType) -> Any:
    """One Python value (from Array.to_pylist()) of arrow type `typ` -> JSON-safe value."""
    if v is None:
        return None
    if pa.types.is_dictionary(typ):
        return json_value(v, typ.value_type)
    if pa.types.is_boolean(typ):
        return bool(v)
    if pa.types.is_integer(typ):
        return _safe_int(int(v))
    if pa.types.is_floating(typ):
        return _safe_float(float(v))
    if pa.types.is_decimal(typ):
        return str(v) if isinstance(v, decimal.Decimal) else str(decimal.Decimal(v))
    if pa.types.is_timestamp(typ):
        # Only reached for nested timestamps; top-level columns use the exact int path.
        if isinstance(v, _dt.datetime):
            if v.tzinfo is not None:
                v = v.astimezone(_dt.timezone.utc).replace(tzinfo=None)
            delta = v - _EPOCH
            micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
            return format_timestamp(micros, "us", typ.tz is not None)
        return str(v)
    if pa.types.is_date(typ):
        return v.isoformat()
    if pa.types.is_time(typ):
        return v.isoformat()
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or _is_string_view(typ):
        return v
    if pa.types.is_binary(typ) or pa.types.is_large_binary(typ) or pa.types.is_fixed_size_binary(typ) or _is_binary_view(typ):
        return base64.b64encode(v).decode("ascii")
    if pa.types.is_struct(typ):
        return {typ.field(i).name: json_value(v.get(typ.field(i).name), typ.field(i).type) for i in range(typ.num_fields)}
    if pa.types.is_map(typ):
        return [[json_value(k, typ.key_type), json_value(x, typ.item_type)] for k, x in v]
    if pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_fixed_size_list(typ):
        return [json_value(x, typ.value_type) for x in v]
    if isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


def _is_string_view(typ: pa.DataType) -> bool:
    f = getattr(pa.types, "is_string_view", None)
    return bool(f and f(typ))


def _is_binary_view(typ: pa.DataType) -> bool:
    f = getattr(pa.types, "is_binary_view", None)
    return bool(f and f(typ))


def column_values(col: pa.ChunkedArray | pa.Array) -> list[Any]:
    """A whole column -> list of JSON-safe values."""
    typ = col.type
    if pa.types.is_timestamp(typ):
        ints = col.cast(pa.int64()).to_pylist()
        utc = typ.tz is not None  # delta "timestamp" is stored as UTC instants
        return [None if x is None else format_timestamp(x, typ.unit, utc) for x in ints]
    return [json_value(x, typ) for x in col.to_pylist()]


def _sort_key(row: dict[str, Any], names: list[str]) -> tuple:
    # Nulls first, then by the string form of the JSON-safe value, column by column.
    key = []
    for n in names:
        v = row[n]
        if v is None:
            key.append((0, ""))
        elif isinstance(v, str):
            key.append((1, v))
        else:
            key.append((1, json.dumps(v, sort_keys=True, ensure_ascii=False)))
    return tuple(key)


def table_to_rows(table: pa.Table, limit: int | None = None) -> list[dict[str, Any]]:
    """All rows of `table` as JSON-safe dicts, sorted by every column's string form
    (in schema order, nulls first); `limit` keeps the first N after sorting."""
    names = table.column_names
    columns = [column_values(table.column(i)) for i in range(table.num_columns)]
    rows = [dict(zip(names, vals)) for vals in zip(*columns)] if names else [{} for _ in range(table.num_rows)]
    rows.sort(key=lambda r: _sort_key(r, names))
    if limit is not None:
        rows = rows[:limit]
    return rows


def arrow_schema_json(schema: pa.Schema) -> list[dict[str, Any]]:
    return [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in schema]


def emit(doc: dict[str, Any], code: int = 0) -> None:
    """Print `doc` as one JSON document and exit with `code`.

    Exits via os._exit after flushing: with pyarrow + deltalake loaded, normal
    interpreter teardown can abort ("terminate called without an active
    exception", exit 134) while native thread pools are destroyed.
    """
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n"
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))  # UTF-8 whatever the locale
    sys.stdout.buffer.flush()
    sys.stderr.flush()
    os._exit(code)


def emit_error(message: str, code: int = 2) -> None:
    emit({"error": message}, code)


def error_message(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class JsonArgumentParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are JSON errors, like every other failure."""

    def error(self, message: str) -> None:  # type: ignore[override]
        emit_error(f"usage error: {message}")


def run_main(main: Callable[[list[str]], None]) -> None:
    """Runs main(sys.argv[1:]); any failure is printed as a JSON error (exit 2) for the test to read."""
    try:
        main(sys.argv[1:])
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - every failure must be a JSON error
        emit_error(error_message(exc))
