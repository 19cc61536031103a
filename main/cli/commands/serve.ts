/** `heapscope serve FILE…`: browser mode on loopback until SIGINT / SIGTERM. */
import { parsePort, SYMBOL_OPTIONS } from '../args';
import type { Command } from '../context';

export const serve: Command = {
  options: ['port', 'host', ...SYMBOL_OPTIONS],
  async run(ctx) {
    const port = ctx.values.port !== undefined ? parsePort(ctx.values.port) : 8400;
    const host = ctx.values.host ?? '127.0.0.1';
    const { startServer } = await import('../../server/index');
    const start = (listenPort: number): ReturnType<typeof startServer> =>
      startServer({
        engine: ctx.host,
        port: listenPort,
        host,
        files: ctx.args,
        log: (line) => ctx.io.stderr(`${line}\n`),
      });
    // Another heapscope (or anything else) on the default port must not stop a plain `npm start`:
    // unless a --port was asked for, a free port is taken instead.
    const server = await start(port).catch((error: NodeJS.ErrnoException) => {
      if (ctx.values.port !== undefined || error.code !== 'EADDRINUSE') throw error;
      ctx.io.stderr(`heapscope: port ${port} is in use; serving on a free port instead\n`);
      return start(0);
    });
    ctx.io.stdout(`heapscope: serving on ${server.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    await ctx.host.closeAll();
    return 0;
  },
};
