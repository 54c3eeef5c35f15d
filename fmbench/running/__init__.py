"""Running: a benchmarking run of a suite, its units, executors, journal and lock."""
