"""Reusable Pulumi components of the web service stack, one per file."""
