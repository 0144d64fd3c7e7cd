"""MinHash near-duplicate detection: signatures (shared by every engine) and local clustering."""
