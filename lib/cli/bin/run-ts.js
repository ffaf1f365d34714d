#!/usr/bin/env node
// Runs a TypeScript entry point (the benchmark, scripts) through tsx: `run-ts.js <file.ts> [args...]`.
require('tsx/cjs');
const path = require('node:path');
const [entry] = process.argv.splice(2, 1);
require(path.resolve(entry));
