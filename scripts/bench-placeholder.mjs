// Placeholder until the benchmark suite lands (see the performance issue).
process.stderr.write("pnpm bench: no benchmarks yet; the benchmark suite is a planned package.\n");
