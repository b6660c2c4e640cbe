import { VERSION } from '../version.ts';

interface Command {
  readonly summary: string;
  run(args: string[]): Promise<number | void>;
}

/** Subcommands load lazily so `rtvoice doctor` works even when the server's dependencies would not. */
const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'start the HTTP/WebSocket server (configured by environment variables; see README)',
    run: async () => (await import('./serve.ts')).serve(),
  },
  transcribe: {
    summary: 'print the transcript of a WAV file, recognised with the local speech stack',
    run: async (args) => (await import('./transcribe.ts')).transcribe(args),
  },
  synthesize: {
    summary: 'speak text into a WAV file with the local speech stack',
    run: async (args) => (await import('./synthesize.ts')).synthesize(args),
  },
  chat: {
    summary: 'talk to the agents by text (a REPL, or one line per turn from a pipe)',
    run: async (args) => (await import('./chat.ts')).chat(args),
  },
  load: {
    summary: 'load-test a server with simulated callers; percentiles, JSON/HTML reports, SLOs',
    run: async (args) => (await import('./load.ts')).load(args),
  },
  'simulate-acs': {
    summary:
      'a whole phone call on this machine: an ACS simulator rings rtvoice, speaks WAV files, records the agent',
    run: async (args) => (await import('./simulate-acs.ts')).simulateAcs(args),
  },
  doctor: {
    summary: 'check this machine: Node, speech packages, Redis, port; prints how to fix what is missing',
    run: async () => (await import('./doctor.ts')).doctor(),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return `rtvoice ${VERSION}: real-time voice agent server\n\nUsage: rtvoice <command> [options]\n\nCommands:\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`rtvoice: unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  return (await command.run(args)) ?? 0;
}

process.exitCode = await main(process.argv.slice(2));
