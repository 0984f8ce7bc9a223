import { isPortFree } from '@fleetstream/devstack';
import { DEMO_PORTS, type PipelinePorts } from '../demo/pipeline.ts';
import { PortTakenError } from '../errors.ts';

/** The pipeline's ports from `base` up (base .. base + 7), or the demo's without a base. */
export function loadPorts(base: number | undefined): PipelinePorts {
  if (base === undefined) return DEMO_PORTS;
  return { sqlSource: base, parse: base + 1, enrich: base + 2, store: base + 3, gateway: base + 4, stub: base + 5, tcp: base + 6, http: base + 7 };
}

/**
 * Throws CLI_PORT_TAKEN naming every taken port: a pipeline already on them (a demo, a soak) would
 * answer the readiness checks and take the simulator's load in place of this run's services.
 */
export async function assertPortsFree(ports: PipelinePorts): Promise<void> {
  const taken: string[] = [];
  for (const [name, port] of Object.entries(ports)) if (!(await isPortFree(port))) taken.push(`${name} ${port}`);
  if (taken.length > 0) throw new PortTakenError(`ports in use (${taken.join(', ')}): another pipeline runs on them; stop it or pass --port-base`);
}
