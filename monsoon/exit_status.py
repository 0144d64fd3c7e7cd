"""The exit statuses of monsoon's commands, one table for every command and both engines (`monsoon run --help`,
README "Exit statuses")."""

from __future__ import annotations

SUCCESS = 0  # every record read is accounted for (a run that kept nothing says so on stderr, but succeeded)
FAILED = 1  # the run failed: a bad config, no input readable, output not writable, documents not accounted for
USAGE = 2  # the command line itself is wrong (argparse's own status)
PARTIAL = 3  # finished, but some inputs failed for good (listed in OUTPUT/_work/failed_inputs.jsonl): rerun to retry

TABLE = """\
exit status:
  0  success: every record read is kept, dropped or errored with a reason (a run that keeps nothing says so on
     stderr and still succeeds: an incremental run whose every page duplicates --dedup-against is no failure)
  1  failure: bad config, nothing readable, output not writable, or documents read but not accounted for
  2  the command line is wrong (unknown option, missing argument)
  3  partial: the run finished but some inputs failed for good (OUTPUT/_work/failed_inputs.jsonl); run the same
     command again to retry only those"""
