"""What an operator sees of the running app: request ids, JSON log lines, Prometheus metrics.

A core package (like clock and db): any layer may import it, and it imports none of them.
"""
