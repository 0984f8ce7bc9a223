import { createServer, type Server } from 'node:net';
import { DEMO_PORTS } from '../src/demo/pipeline.ts';
import { assertPortsFree, loadPorts } from '../src/load/load-ports.ts';
import { parseLoadArgs } from '../src/load/load-options.ts';
import { UsageError } from '../src/errors.ts';

const listen = (port: number) => new Promise<Server>((resolve) => { const s = createServer(); s.listen(port, () => resolve(s)); });
const close = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));

describe("the load test's ports", () => {
  test('are the demo ports by default and N..N+7 with --port-base', () => {
    expect(loadPorts(parseLoadArgs([]).portBase)).toEqual(DEMO_PORTS);
    expect(loadPorts(parseLoadArgs(['--port-base', '25400']).portBase)).toEqual({ sqlSource: 25400, parse: 25401, enrich: 25402, store: 25403, gateway: 25404, stub: 25405, tcp: 25406, http: 25407 });
    expect(() => parseLoadArgs(['--port-base', '65530'])).toThrow(new UsageError('--port-base must leave room for 8 ports (at most 65528), got "65530"'));
  });

  test('a port in use stops the run before anything starts, naming the port (another pipeline would take the load)', async () => {
    // Prepare: something already listens on the gateway's port
    const probe = await listen(0);
    const address = probe.address();
    const base = (typeof address === 'object' && address ? address.port : 0) - 4;
    await close(probe);
    const ports = loadPorts(base);
    const other = await listen(ports.gateway);

    // Act
    const outcome = assertPortsFree(ports);

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 'CLI_PORT_TAKEN', message: expect.stringContaining(`gateway ${ports.gateway}`) as unknown });
    await close(other);
    await expect(assertPortsFree(ports)).resolves.toBeUndefined();
  });
});
