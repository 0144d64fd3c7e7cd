"""spark-submit entry: run the monsoon pipeline on the cluster spark-submit points at.

    spark-submit --master yarn --archives monsoon-env.tar.gz#env \\
        --conf spark.pyspark.python=./env/bin/python --conf spark.pyspark.driver.python=./env/bin/python \\
        jobs/spark_run.py configs/cc.yaml --input 's3a://bucket/crawl/*.warc.gz' --output s3a://bucket/monsoon/cc

The master, executors and their memory come from spark-submit; the pipeline, from the config (see README).
"""

import argparse
import sys

from monsoon.cli.options import add_restart_option
from monsoon.cli.run import run_on_spark
from monsoon.config import load_run_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", metavar="CONFIG", help="run config (YAML), read on the driver")
    parser.add_argument("--input", metavar="PATH_OR_GLOB", help="WARC files (s3a://, hdfs://, local); overrides input")
    parser.add_argument("--output", metavar="DIR", help="output folder (s3a://, hdfs://, local); overrides `output`")
    parser.add_argument("--keep-dropped", action="store_true", help="write every dropped document to OUTPUT/_dropped/")
    add_restart_option(parser)
    args = parser.parse_args(argv)
    config = load_run_config(args.config, input=args.input, output=args.output, keep_dropped=args.keep_dropped or None)
    return run_on_spark(config, master=None, restart=args.restart)  # the master is spark-submit's


if __name__ == "__main__":
    sys.exit(main())
