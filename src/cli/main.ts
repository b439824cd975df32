import type { Role } from './serve.js';

const USAGE = `Usage: lienthong <command>

  start            migrate, then serve the API and run the workers in one process
  api              serve the API only
  worker           run the queue workers only
  migrate          apply database migrations and exit
  verify FILE      verify a signed edXML package or an archive file offline (--trust PATH, --legacy)
  verify-chain FILE  verify an archive chain export offline (--trust PATH)
  seed --demo      load the demo directory (An Giang after the 2025 reorganisation, with a closed district),
                   certificates and clerk tokens (.data/demo-tokens.json); --demo=kien-luong-2024: the old structure
  migration:create [name]   (developers) generate a migration from the entities
  openapi          (developers) write schemas/openapi.json, the document the API serves

Environment: see README.md (DATABASE_URL, REDIS_URL, PORT, LIENTHONG_ADMIN_TOKEN, LIENTHONG_MASTER_KEY, …)`;

/** The thin entry point: parse the command, call the runtime, exit with its code. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
    case 'api':
    case 'worker':
    case 'migrate': {
      // Each command loads only what it needs: `verify` and `--help` answer without the runtime.
      const { runRole } = await import('./serve.js');
      return runRole(command as Role, env);
    }
    case 'verify': {
      // An archive file (ZIP) is checked by the archive verifier, a package by the package verifier.
      const { runVerifyFile } = await import('./verify-archive.js');
      return runVerifyFile(rest, { stdout: process.stdout, stderr: process.stderr });
    }
    case 'verify-chain': {
      const { runVerifyChain } = await import('./verify-archive.js');
      return runVerifyChain(rest, { stdout: process.stdout, stderr: process.stderr });
    }
    case 'seed': {
      const { runSeed } = await import('./seed.js');
      return runSeed(rest, env);
    }
    case 'openapi': {
      const { writeOpenApi } = await import('./write-openapi.js');
      return writeOpenApi(env);
    }
    case 'migration:create': {
      const { createMigration } = await import('../db/create-migration.js');
      const url = env.DATABASE_URL;
      if (!url) {
        process.stderr.write('migration:create needs DATABASE_URL (a scratch database)\n');
        return 2;
      }
      const file = await createMigration(url, rest[0]);
      process.stdout.write(file ? `created ${file}\n` : 'no changes\n');
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`Unknown command: ${command}\n\n${USAGE}\n`);
      return 2;
  }
}
