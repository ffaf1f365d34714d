#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so `npx certwarden` works straight after `npm ci` with no build step.
// The SDK's notice about future Node versions is for developers of this package, not for its users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
void require('../main.ts').main();
