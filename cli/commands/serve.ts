/**
 * `kiln serve [FILE] [--port N] [--target T]…` (and `npm run playground`): the browser playground
 * on a local HTTP server. One page and its two scripts, all made at start-up (cli/playground/page.ts);
 * everything else happens in the browser, so the server holds no state and answers only GETs.
 * It listens on 127.0.0.1 only: the page is for whoever runs the command.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readInputText } from '../../compiler/io/read-input.ts';
import { packagePath } from '../../compiler/io/package-root.ts';
import { didYouMean } from '../../compiler/lang/diagnostics.ts';
import { isPresetName, presets } from '../../targets/resolve.ts';
import { UsageError } from '../args.ts';
import { bundlePlayground, playgroundPage, presetTexts } from '../playground/page.ts';
import { wholeNumber, type CommandIo } from './train.ts';

export interface ServeArgs {
  file?: string;
  port?: string;
  targets: string[];
}

export const DEFAULT_TARGETS = ['avx2_laptop', 'tpu_v1_like'];

export interface Playground {
  url: string;
  close(): Promise<void>;
}

/** Start the server on `port` (0: any free port); resolves once it listens. */
export async function startPlayground(opts: { text: string; targets: readonly string[]; port: number }): Promise<Playground> {
  const page = playgroundPage({ presets: presetTexts(), text: opts.text, targets: [...opts.targets] });
  const scripts = await bundlePlayground();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const resources: Record<string, [string, string]> = { '/': ['text/html', page], '/app.js': ['text/javascript', scripts.app], '/worker.js': ['text/javascript', scripts.worker] };
    const body = req.method === 'GET' ? resources[path] : undefined;
    // Browsers ask for an icon on their own; an empty answer keeps their console clean.
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (!body) {
      res.writeHead(req.method === 'GET' ? 404 : 405, { 'content-type': 'text/plain; charset=utf-8' }).end(req.method === 'GET' ? 'not found\n' : 'only GET\n');
      return;
    }
    res.writeHead(200, { 'content-type': `${body[0]}; charset=utf-8`, 'cache-control': 'no-store' }).end(body[1]);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new UsageError(`kiln serve: port ${opts.port} is in use\n  hint: give another --port, or --port 0 for any free one`) : e));
    server.listen(opts.port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Checks the command line synchronously (so mistakes exit 1 or 2 as usual), then serves until SIGINT or SIGTERM. */
export function runServe(a: ServeArgs, io: CommandIo): Promise<number> {
  const port = wholeNumber('serve', '--port', a.port, 0) ?? 8080;
  if (port > 65535) throw new UsageError(`kiln serve: --port takes a port number 0-65535, not '${a.port}'`);
  const names = [...presets().keys()];
  for (const t of a.targets) {
    // The page prices on presets only: a target file would need the disk the browser cannot read.
    const hint = [didYouMean(t, names), `presets: ${names.join(', ')}`].filter(Boolean).join(' ');
    if (!isPresetName(t)) throw new UsageError(`kiln serve: --target takes a preset name (the page has no target files), not '${t}'\n  hint: ${hint}`);
    if (!presets().has(t)) throw new UsageError(`kiln serve: unknown target '${t}'\n  hint: ${hint}`);
  }
  const text = readInputText(a.file ?? packagePath('examples', 'mlp.kiln'), { what: 'network' });
  return startPlayground({ text, targets: a.targets.length ? a.targets : DEFAULT_TARGETS, port }).then((p) => {
    io.out(`Kiln playground: ${p.url}\n`);
    io.err('serving until Ctrl-C\n');
    return new Promise<number>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop).off('SIGTERM', stop);
        void p.close().then(() => resolve(0));
      };
      process.on('SIGINT', stop).on('SIGTERM', stop);
    });
  });
}
