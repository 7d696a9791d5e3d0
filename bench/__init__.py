"""Benchmarks of the webhooks: speed against a bare Flask floor, complete calls, profile, growth."""
