"""Benchmarks that print ratios measured in one run (see BENCHMARKS.md): ``python -m benchmarks.bench [--scale] [--app] [--serve]``.

Kept out of the ``bridge`` package: they measure the library, they are not part of it, and the wheel does not ship them.
"""
