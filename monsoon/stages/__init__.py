"""Per-document pipeline steps (datatrove `PipelineStep`s), one per file, in data-flow order:
warc_reader -> extract -> lid -> quality -> minhash -> (dedup clusters) -> near_duplicates -> token_count -> writer."""
