"""The Spark session of the interop scripts that write or read tables with Spark (spark_*.py):
pyspark + delta-spark in local[1], in UTC, tuned for a handful of small files. The delta jars
come from Maven Central through configure_spark_with_delta_pip and stay in the ivy cache."""

from __future__ import annotations

from delta import configure_spark_with_delta_pip
from pyspark.sql import SparkSession


def delta_session(app_name: str) -> SparkSession:
    builder = (
        SparkSession.builder.master("local[1]")
        .appName(app_name)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # Delta replays the log over this many partitions (50 by default): one is enough for a few files.
        .config("spark.databricks.delta.snapshotPartitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
    )
    return configure_spark_with_delta_pip(builder).getOrCreate()
