// Opens the Aspire dashboard in headless Chromium, signs in with the run's login URL, waits until the trace of one
// request shows the span that proves it crossed the queue, and writes a screenshot of that trace.
// Usage: node screenshot.mjs --login <login url> --trace <trace id> --span <span name> --out <png> [--timeout 120]
import { chromium } from 'playwright-core';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, value, index, all) =>
  index % 2 === 0 ? [...pairs, [value.replace(/^--/, ''), all[index + 1]]] : pairs, []));
for (const required of ['login', 'trace', 'span', 'out']) {
  if (!args[required]) {
    console.error(`Missing --${required}. Usage: node screenshot.mjs --login <url> --trace <id> --span <name> --out <png>`);
    process.exit(2);
  }
}

const deadline = Date.now() + Number(args.timeout ?? 120) * 1000;
const ui = new URL(args.login).origin;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  // Chromium's sandbox needs user namespaces, which a container running as root does not give it.
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(args.login);
  const detail = `${ui}/traces/detail/${args.trace}`;
  // The dashboard updates a trace that it already shows, but a trace it has not received yet renders as "not found"
  // and stays so: load the page again until the span is there.
  for (;;) {
    await page.goto(detail);
    try {
      await page.getByText(args.span, { exact: false }).first().waitFor({ state: 'visible', timeout: 5000 });
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await page.screenshot({ path: args.out.replace(/\.png$/, '.failed.png') });
        throw new Error(`The dashboard did not show span '${args.span}' of trace ${args.trace} in time (${error.message}).`);
      }
    }
  }
  await page.screenshot({ path: args.out });
  console.log(`Wrote ${args.out}`);
} finally {
  await browser.close();
}
