#!/usr/bin/env node
// Runs a TypeScript entry point (the benchmark, scripts) through tsx: `run-ts.js <file.ts> [args...]`.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
const path = require('node:path');
const [entry] = process.argv.splice(2, 1);
require(path.resolve(entry));
