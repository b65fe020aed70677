"""hipcare's benchmarks: ``python -m bench`` (or ``./run bench``) runs every ``bench_*.py``."""
