"""Load benchmark for the API: `uv run --group bench python -m bench [--quick]`.

See `python -m bench --help` and the README's "Performance" section.
"""
