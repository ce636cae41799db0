// Runs one dcs CLI command in this process and reports its wall time and peak RSS (which covers
// the worker threads too), so the benchmark measures exactly what a user runs.
import { writeFileSync } from 'node:fs';
import { setUpProcess } from '../bin/process-setup.js';

setUpProcess(process.argv.slice(2));
const { main } = await import('../src/cli/main.ts');

const report = process.env.BENCH_REPORT;
const started = performance.now();
const code = await main(process.argv.slice(2));
const result = { code, seconds: (performance.now() - started) / 1000, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
if (report) writeFileSync(report, JSON.stringify(result));
process.exitCode = code;
