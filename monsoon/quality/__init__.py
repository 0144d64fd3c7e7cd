"""Model-based quality (issue 23): a per-language fastText classifier trained on the user's own reference text
(`monsoon quality train`, quality/train.py), a score on every document the filters keep (stages/quality_score.py),
per-language percentile buckets of the kept documents' scores (quality/buckets.py) that mix tables can weight."""
