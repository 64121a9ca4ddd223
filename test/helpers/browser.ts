/**
 * A real browser for the tests that open Kiln's pages: Debian's `chromium` driven by
 * playwright-core (which downloads no browser of its own). `.ci/run` installs chromium when it is
 * missing; where none can be found the browser tests are skipped with this reason, visibly.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** KILN_CHROMIUM names a browser binary; otherwise the usual Debian and Ubuntu paths. */
export const chromiumPath: string | undefined = [process.env.KILN_CHROMIUM, ...CANDIDATES].find((p): p is string => !!p && existsSync(p));

export const NO_BROWSER = `no chromium found (tried ${['$KILN_CHROMIUM', ...CANDIDATES].join(', ')}): install it with \`apt-get install chromium\` or set KILN_CHROMIUM`;

export function launchChromium(): Promise<Browser> {
  // The CI container runs as root, where chromium refuses its sandbox.
  return chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'], headless: true });
}
