// Worker-thread launcher: TypeScript modules run through tsx's loader, as in bin/lienthong.js. A
// thread started with `--import tsx` in execArgv loads its entry before the loader is in place
// (Node 20), so the thread starts here and imports its module once tsx is registered.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
