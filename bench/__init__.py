"""Load and concurrency benchmarks: `make bench`. See docs/performance.md."""
