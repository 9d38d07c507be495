"""Load benchmarks for the API, each with its own `--help`:

- `python -m bench [--quick]`: endpoints against a bare-FastAPI ceiling, growth with
  table size, worker memory, a soak;
- `python -m bench.scale_out`: one and two instances behind nginx;
- `python -m bench.observability`: what metrics and tracing cost.

See the README's "Performance benchmark" section.
"""
