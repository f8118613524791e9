import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BatonError, DIALECT_NAMES, SECURITY_EVENT_TYPES, isDialectName } from '../core/index.js';
import { ConfigError, loadConfig, type BatonConfig } from './config.js';
import { UsageError } from './usage-error.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Exit codes: 0 ok, 1 failure, 2 usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('must be a positive integer');
  return Number(value);
}

function dialectList(value: string): string[] {
  if (value.trim() === 'none') return [];
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.find((name) => !isDialectName(name));
  if (unknown !== undefined)
    throw new InvalidArgumentError(
      `unknown dialect ${JSON.stringify(unknown)} (known: ${DIALECT_NAMES.join(', ')}, or none)`,
    );
  return names;
}

function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(value);
}

/**
 * Builds the `baton` command line. Commands are imported when they run, so that `--help` and
 * usage errors do not load Fastify, jose and the database drivers.
 */
export function buildProgram(env: NodeJS.ProcessEnv): Command {
  const program = new Command('baton')
    .description('Baton: a token service that makes refreshing safe and boring.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--config <file>', 'JSON file of BATON_* settings (the environment wins over it)')
    .showHelpAfterError()
    .exitOverride();
  const config = (): BatonConfig => loadConfig(env, program.opts<{ config?: string }>().config);

  program
    .command('serve')
    .description('run the HTTP server (BATON_HOST:BATON_PORT) on BATON_STORE until SIGINT/SIGTERM')
    .action(async () => (await import('./commands/serve.js')).serve(config()));

  program
    .command('migrate')
    .description('apply pending schema migrations to BATON_STORE')
    .action(async () => (await import('./commands/migrate.js')).migrate(config()));

  program
    .command('mint')
    .description('start a session for a subject and print its tokens as JSON')
    .requiredOption('--sub <subject>', 'the signed-in subject')
    .option('--client <id>', 'client id (default: default)')
    .option('--scope <scope>', 'space-separated scope')
    .option('--claims <json>', 'custom claims as a JSON object')
    .option('--access-ttl <seconds>', 'access-token lifetime', positiveInteger)
    .option('--refresh-ttl <seconds>', 'absolute session lifetime', positiveInteger)
    .option('--idle-ttl <seconds>', 'idle lifetime', positiveInteger)
    .action(async (options) => (await import('./commands/mint.js')).mint(config(), options));

  const sessions = program.command('sessions').description('list, show and revoke sessions');
  sessions
    .command('list')
    .description('list sessions in id order')
    .option('--sub <subject>', 'only this subject')
    .option('--client <id>', 'only this client')
    .option('--after <sessionId>', 'start after this session id')
    .option('--limit <n>', 'at most n sessions', positiveInteger, 100)
    .option('--json', 'print JSON')
    .action(async (options) =>
      (await import('./commands/sessions.js')).listSessions(config(), options),
    );
  sessions
    .command('show <id>')
    .description('print one session as JSON')
    .action(async (id: string) =>
      (await import('./commands/sessions.js')).showSession(config(), id),
    );
  sessions
    .command('revoke [id]')
    .description('revoke a session, or with --sub every session of a subject')
    .option('--sub <subject>', 'sign this subject out everywhere')
    .action(async (id: string | undefined, options) =>
      (await import('./commands/sessions.js')).revokeSessions(config(), id, options),
    );

  const keys = program.command('keys').description('list and rotate signing keys');
  keys
    .command('list')
    .description('list signing keys')
    .option('--json', 'print JSON')
    .action(async (options) => (await import('./commands/keys.js')).listKeys(config(), options));
  keys
    .command('rotate')
    .description('make a new key active; the old one stays in the JWKS until its tokens expire')
    .action(async () => (await import('./commands/keys.js')).rotateKeys(config()));

  const clients = program.command('clients').description('register, list and remove clients');
  clients
    .command('add <id>')
    .description('register a client (a confidential client’s secret is printed once)')
    .option('--confidential', 'issue a client secret; refreshes must authenticate')
    .option('--access-ttl <seconds>', 'access-token lifetime', positiveInteger)
    .option('--refresh-ttl <seconds>', 'absolute session lifetime', positiveInteger)
    .option('--idle-ttl <seconds>', 'idle lifetime', positiveInteger)
    .option('--reuse-grace <seconds>', 'reuse grace', nonNegativeInteger)
    .option('--rotate', 'rotate refresh tokens (default: BATON_ROTATE)')
    .option('--no-rotate', 'keep refresh tokens across refreshes')
    .option('--audience <aud>', 'aud of access tokens (default: the issuer)')
    .option(
      '--dialects <list>',
      `dialects allowed to refresh this client's sessions: a comma list of ${DIALECT_NAMES.join(', ')}, or none (default: all for a public client, none for a confidential one)`,
      dialectList,
    )
    .option(
      '--allowed-origins <list>',
      "browser origins (comma list of scheme://host[:port]) that may refresh this client's sessions, besides BATON_CORS_ORIGINS",
      (value: string) => value.split(',').map((origin) => origin.trim()),
    )
    .option('--replace', 'replace an existing client of this id')
    .action(async (id: string, options) =>
      (await import('./commands/clients.js')).addClient(config(), id, options),
    );
  clients
    .command('list')
    .description('list clients')
    .option('--json', 'print JSON')
    .action(async (options) =>
      (await import('./commands/clients.js')).listClients(config(), options),
    );
  clients
    .command('remove <id>')
    .description('remove a client and revoke its sessions')
    .action(async (id: string) =>
      (await import('./commands/clients.js')).removeClient(config(), id),
    );

  program
    .command('events')
    .description('print security events as JSON lines, oldest first')
    .addOption(new Option('--type <type>', 'only this event type').choices(SECURITY_EVENT_TYPES))
    .option('--since <when>', 'epoch seconds, ISO date, or an age like 15m, 2h, 7d')
    .option('--limit <n>', 'events per page', positiveInteger, 100)
    .option('--follow', 'keep printing new events')
    .action(async (options) =>
      (await import('./commands/events.js')).listEvents(config(), options),
    );

  program
    .command('admin-token')
    .description('manage the generated admin token')
    .command('reset')
    .description('replace the generated admin token and print the new one once')
    .action(async () => (await import('./commands/admin-token.js')).resetAdmin(config()));

  for (const command of [
    program,
    ...program.commands,
    ...program.commands.flatMap((c) => c.commands),
  ]) {
    command.exitOverride();
  }
  return program;
}

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const program = buildProgram(env);
  if (argv.length <= 2) {
    program.outputHelp();
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
        ? EXIT.ok
        : EXIT.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`baton: ${message}\n`);
    if (error instanceof UsageError || error instanceof ConfigError) return EXIT.usage;
    if (error instanceof BatonError && error.code === 'ERR_INVALID_CONFIG') return EXIT.usage;
    return EXIT.failure;
  }
}
