"""Offline developer tooling: synth, plan, policy check, bench and docs, without AWS or the
Pulumi CLI. The operations commands that call AWS are the top-level `ops` package."""
