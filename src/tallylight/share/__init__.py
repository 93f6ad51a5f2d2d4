"""Sharing: bundles encrypted to a study's researcher (age), their tables, the share log and outbox."""
