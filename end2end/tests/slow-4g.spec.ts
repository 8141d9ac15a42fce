// The app on a phone on a slow network (issue 13): Lighthouse's "slow 4G" set through the
// DevTools protocol (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up), the time from
// navigation to a usable sign-in form, for a first visit (fresh context, empty cache) and a
// repeat visit (same context, a new tab), median of 5 runs each. Timings are printed and written
// to test-artifacts/slow-4g.json and slow-4g.txt, never asserted (these machines are noisy; goal:
// first ≤ 1.2 s, repeat ≤ 0.4 s). What is exact is asserted: the first visit gets every file of
// the app in brotli, and a repeat visit asks the server for index.html only (a 304), the
// content-hashed files coming from the cache (immutable).
import { test, expect, type BrowserContext, type Page } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';

const RUNS = 5;
const SLOW_4G = {
  offline: false,
  latency: 150, // ms, added to each request
  downloadThroughput: 1_600_000 / 8, // bytes/s
  uploadThroughput: 750_000 / 8,
};

test.describe.configure({ timeout: 180_000 });

/** What reached the server (not the cache) during one navigation. */
interface Fetched {
  path: string;
  status: number;
  encoding: string | undefined;
  bytes: number;
}

/**
 * Records `performance.now()` (milliseconds since the navigation started) at the first moment
 * the sign-in form is usable: mounted by the wasm app (index.html's body is empty), its password
 * field and every text field and its submit button visible and enabled.
 */
function watchForUsableForm() {
  const usable = () => {
    const password = document.querySelector('form input[type=password]');
    const form = password?.closest('form');
    if (!form) return false;
    const controls = [...form.querySelectorAll('input:not([type=radio]), button[type=submit]')];
    return controls.every(
      (c) => !(c as HTMLInputElement).disabled && (c as HTMLElement).checkVisibility({ visibilityProperty: true }),
    );
  };
  const observer = new MutationObserver(() => {
    if (usable()) {
      (window as any).__usableAt = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true });
}

/**
 * A tab of `context` on the slow network, watching for the form, noting what hit the server:
 * the requests with a raw answer from the network (`responseReceivedExtraInfo`: its status is
 * the one on the wire, 304 for a revalidation, where `responseReceived` shows the cached 200;
 * answers from the cache have none).
 */
async function slowTab(context: BrowserContext): Promise<{ page: Page; fetched: () => Fetched[] }> {
  const page = await context.newPage();
  await page.addInitScript(watchForUsableForm);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
  const urls = new Map<string, string>();
  const answers = new Map<string, { status: number; encoding: string | undefined }>();
  const bytes = new Map<string, number>();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.responseReceivedExtraInfo', (e) => {
    const headers = Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), v]));
    answers.set(e.requestId, { status: e.statusCode, encoding: headers['content-encoding'] });
  });
  cdp.on('Network.loadingFinished', (e) => bytes.set(e.requestId, e.encodedDataLength));
  const fetched = () =>
    [...answers].map(([id, a]) => ({
      path: new URL(urls.get(id) ?? 'http://unknown/?').pathname,
      status: a.status,
      encoding: a.encoding,
      bytes: bytes.get(id) ?? 0,
    }));
  return { page, fetched };
}

/** Opens `/` and waits for the usable form; milliseconds from navigation start. */
async function visit(page: Page): Promise<number> {
  await page.goto('/', { waitUntil: 'commit' });
  await page.waitForFunction(() => (window as any).__usableAt !== undefined, null, { timeout: 30_000 });
  return page.evaluate(() => Math.round((window as any).__usableAt));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const isAppFile = (f: Fetched) => !f.path.startsWith('/api/');

test('the sign-in form on slow 4G: first and repeat visits', async ({ browser }) => {
  const first: number[] = [];
  const repeat: number[] = [];
  const firstBytes: number[] = [];
  let repeatFetched: Fetched[] = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext();
    const one = await slowTab(context);
    first.push(await visit(one.page));
    const files = one.fetched().filter(isAppFile);
    // index.html, the JS glue, the wasm and the stylesheet, each from the server, in brotli.
    expect(files.map((f) => f.path).sort()).toEqual(
      expect.arrayContaining(['/', expect.stringMatching(/\.js$/), expect.stringMatching(/_bg\.wasm$/), expect.stringMatching(/\.css$/)]),
    );
    for (const f of files) {
      expect(f.status, f.path).toBe(200);
      expect(f.encoding, f.path).toBe('br');
    }
    firstBytes.push(files.reduce((sum, f) => sum + f.bytes, 0));
    // A repeat visit: a new tab of the same browser profile (its cache), a new navigation.
    const again = await slowTab(context);
    repeat.push(await visit(again.page));
    repeatFetched = again.fetched();
    // Only index.html goes to the server (`no-cache`: revalidated, unchanged, 304).
    expect(repeatFetched.filter(isAppFile).map((f) => `${f.path} ${f.status}`)).toEqual(['/ 304']);
    await context.close();
  }
  const figures = {
    network: 'slow 4G: 150 ms latency, 1.6 Mbit/s down, 750 kbit/s up (CDP Network.emulateNetworkConditions)',
    firstVisitMs: { median: median(first), runs: first },
    repeatVisitMs: { median: median(repeat), runs: repeat },
    firstVisitBytesOnTheWire: median(firstBytes),
    // Until the form was usable.
    repeatVisitRequestsToServer: {
      appFiles: repeatFetched.filter(isAppFile).map((f) => `${f.path} ${f.status}`),
      api: repeatFetched.filter((f) => !isAppFile(f)).map((f) => `${f.path} ${f.status}`),
    },
    goalMs: { first: 1200, repeat: 400 },
  };
  const line =
    `slow 4G, sign-in form usable: first visit ${median(first)} ms (runs ${first.join(', ')}), ` +
    `repeat visit ${median(repeat)} ms (runs ${repeat.join(', ')}); goal 1200 / 400 ms; ` +
    `repeat visit asked the server for ${figures.repeatVisitRequestsToServer.appFiles.length} app file(s) ` +
    `(${figures.repeatVisitRequestsToServer.appFiles.join(', ')}) and ${figures.repeatVisitRequestsToServer.api.length} API path(s) ` +
    `before its form was usable`;
  console.log(line);
  console.log(JSON.stringify(figures, null, 2));
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync('test-artifacts/slow-4g.json', JSON.stringify(figures, null, 2) + '\n');
  writeFileSync('test-artifacts/slow-4g.txt', line + '\n');
});
