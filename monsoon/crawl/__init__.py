"""Common Crawl's columnar index as a run's input: select the captures of the run's languages (select.py), plan and
bill them, and read only their WARC records, as byte ranges (ranges.py, reader.py)."""
