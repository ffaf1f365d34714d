#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx certwarden` works straight after `npm ci` with no build step.
require('tsx/cjs');
void require('../main.ts').main();
