#!/usr/bin/env node
// Entry point for `npx dcs`: npm puts the pinned Node 24 (devDependency `node`) first on PATH.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
