"""Benchmarks (not tests): ``python -m bench <name> [options]``; each module has ``main(argv)``."""
