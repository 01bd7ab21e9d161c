"""Offline tooling: synth, plan and policy check without AWS or the Pulumi CLI."""
