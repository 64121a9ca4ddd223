#!/usr/bin/env node
// The kiln command: Kiln is written in TypeScript and run through tsx's loader, so the installed
// command always runs the sources it ships, with no separate build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = main(process.argv.slice(2));
