/**
 * fleetstream <verb>: the operator command (tools/cli/README.md).
 * Exit codes: 0 ok, 1 a failed run, 2 bad input.
 */
import { runDecode } from './decode.ts';
import { runDemo } from './demo.ts';
import { runTopology } from './topology.ts';
import { runPositions } from './positions.ts';
import { runChaos } from './chaos.ts';
import { runDlq } from './dlq.ts';
import { runLoad } from './load.ts';

const verbs: Record<string, (args: string[]) => Promise<number>> = {
  decode: runDecode,
  demo: runDemo,
  topology: runTopology,
  positions: runPositions,
  chaos: runChaos,
  dlq: runDlq,
  load: runLoad,
};

async function main(argv: string[]): Promise<number> {
  const [verb, ...args] = argv;
  const run = verb ? verbs[verb] : undefined;
  if (!run) {
    process.stderr.write(`fleetstream: unknown verb ${verb ?? '(none)'}; verbs: ${Object.keys(verbs).join(', ')}\n`);
    return 2;
  }
  return run(args);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fleetstream: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
