"""The SparkSession every monsoon Spark job uses."""

from __future__ import annotations

import os
import sys

LOCAL_MASTER = "local[*]"  # --engine spark without --master: every core of this machine


def _user_log4j(conf) -> bool:
    """The user configured Spark's logging: a log4j2 file named in the JVM options, or one in the conf folder."""
    keys = ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions")
    options = " ".join(conf.get(key, "") for key in keys)
    if "log4j" in options:
        return True
    folders = [os.environ.get("SPARK_CONF_DIR"), os.path.join(os.environ.get("SPARK_HOME", ""), "conf")]
    return any(folder and os.path.exists(os.path.join(folder, "log4j2.properties")) for folder in folders)


def spark_session(app: str, master: str | None = None, progress: bool = True):
    """The running SparkSession, or a new one. `master=None` leaves the master to spark-submit.

    Speculation must stay off: executors write their output files themselves, and a speculative copy of a task
    would write the same files concurrently."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app).config("spark.speculation", "false")
    if master:
        builder = builder.master(master)
    if master and master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors import monsoon from this environment
        builder = builder.config("spark.ui.enabled", "false")
    if not progress:
        builder = builder.config("spark.ui.showConsoleProgress", "false")
    spark = builder.getOrCreate()
    if not _user_log4j(spark.sparkContext.getConf()):  # Spark's INFO lines (whole query plans) bury the progress
        spark.sparkContext.setLogLevel("WARN")
    # one shuffle partition per core on a local master, given here or by spark-submit (Spark's default of 200 is for
    # clusters: on local[2] the dedup's many small jobs would take a minute), unless the user set it
    conf = spark.sparkContext.getConf()
    if spark.sparkContext.master.startswith("local") and not conf.contains("spark.sql.shuffle.partitions"):
        spark.conf.set("spark.sql.shuffle.partitions", str(spark.sparkContext.defaultParallelism))
    if conf.get("spark.speculation", "false").lower() == "true":
        raise RuntimeError("monsoon needs spark.speculation=false: executors write the output files themselves")
    return spark
