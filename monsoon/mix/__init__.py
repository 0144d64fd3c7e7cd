"""Mix tables: check, plan and build them into token-sized shards (`monsoon mix`)."""
