#!/usr/bin/env node
// Thin launcher: TypeScript sources run through tsx's loader (no build step to forget).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
try {
  const code = await main(process.argv.slice(2), process.env);
  process.exit(code);
} catch (error) {
  // A set-up problem (a taken port, an unreachable folder) is said in words, without a stack trace.
  if (error instanceof Error && error.name === 'SetupError') console.error(error.message);
  else console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
}
