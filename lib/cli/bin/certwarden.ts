#!/usr/bin/env node
// The SDK's notice about future Node versions is for developers of this package, not for its users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- after the line above, so the SDK sees it
void (require('../main') as typeof import('../main')).main();
