// Shared pieces of the end-to-end specs: the demo account, codes that are never reused across
// specs, sign-in steps, the CSP watch, and axe + a screenshot per screen.
import { expect, test as base, type Page, type Locator, type APIRequestContext } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { base32Decode, hotp, stepAt } from './otp';
import { remember, rememberJson, watchContext } from './ledger';

export interface DemoDevice {
  SerialNumber: string;
  Kind: 'virtual' | 'hardware-totp' | 'hardware-hotp' | 'fido';
  Owner: string;
  Root: boolean;
  Base32Seed: string | null;
  DriftSteps: number;
  Counter: number | null;
  StoredCounter: number | null;
}
export interface Demo {
  Account: { Id: string; Alias: string };
  Root: { Email: string; Password: string };
  Users: { UserName: string; Password: string; Policy: string }[];
  Devices: DemoDevice[];
}

const demoPath = process.env.MFA_RESYNC_DEMO;
export const demo: Demo = JSON.parse(readFileSync(demoPath ?? 'missing MFA_RESYNC_DEMO', 'utf8'));
// Its seeds and passwords are secrets of the run (see ledger.ts).
rememberJson(demo);

export function user(name: string) {
  const u = demo.Users.find((u) => u.UserName === name);
  if (!u) throw new Error(`no demo user ${name}`);
  return u;
}

export function device(owner: string, kind: DemoDevice['Kind']): DemoDevice {
  const d = demo.Devices.find((d) => d.Owner === owner && d.Kind === kind);
  if (!d) throw new Error(`no demo ${kind} device of ${owner}`);
  return d;
}

export function keyOf(d: DemoDevice): Buffer {
  if (!d.Base32Seed) throw new Error(`${d.SerialNumber} has no seed`);
  return base32Decode(d.Base32Seed);
}

/** The server's clock, read like the app reads it. */
export async function serverNowMs(request: APIRequestContext): Promise<number> {
  const sent = Date.now();
  const body = await (await request.get('/api/time')).json();
  return body.NowMs + (Date.now() - sent) / 2;
}

/** Waits (by polling the server's clock, not sleeping) until at least `margin` s remain in the step. */
export async function awayFromStepEdge(request: APIRequestContext, margin = 8) {
  await expect
    .poll(async () => 30 - ((await serverNowMs(request)) / 1000) % 30, { timeout: 40_000, intervals: [500] })
    .toBeGreaterThan(margin);
}

// Device steps each spec has used (a server burns every accepted step: reusing one is a replay).
// Kept in a file beside the demo JSON, so separate worker processes agree.
const usedPath = `${demoPath}.used.json`;
function used(): Record<string, number> {
  return existsSync(usedPath) ? JSON.parse(readFileSync(usedPath, 'utf8')) : {};
}
export function markUsed(serial: string, step: number) {
  const u = used();
  u[serial] = Math.max(u[serial] ?? -1, step);
  writeFileSync(usedPath, JSON.stringify(u));
}

/** The last step (or counter) of `serial` a spec has used, -1 if none. */
export function lastUsed(serial: string): number {
  return used()[serial] ?? -1;
}

/**
 * The device step `s` (its clock `offsetSeconds` fast) at which a resync pair (s - 1, s) and
 * then the final code s + 1 are all unused, at least 8 s from the step's edge; marks them used.
 */
export async function freshPairStep(request: APIRequestContext, d: DemoDevice, offsetSeconds = 0) {
  const deviceStep = async () => stepAt((await serverNowMs(request)) + offsetSeconds * 1000);
  await expect.poll(deviceStep, { timeout: 65_000, intervals: [500] }).toBeGreaterThan(lastUsed(d.SerialNumber) + 1);
  await awayFromStepEdge(request);
  const step = await deviceStep();
  markUsed(d.SerialNumber, step + 1);
  return step;
}

/**
 * A code the server accepts at sign-in for a device whose clock runs `offsetSeconds` fast and
 * whose stored drift matches: the device's current step, or the next one when the current was
 * used already (the server's window is ±1 step).
 */
export async function signInCode(request: APIRequestContext, d: DemoDevice, offsetSeconds = 0) {
  const last = used()[d.SerialNumber] ?? -1;
  const deviceStep = async () => stepAt((await serverNowMs(request)) + offsetSeconds * 1000);
  // Both steps the server would take now were used already: wait for the device's next step.
  await expect.poll(deviceStep, { timeout: 35_000, intervals: [500] }).toBeGreaterThanOrEqual(last);
  const current = await deviceStep();
  const step = Math.max(current, last + 1);
  markUsed(d.SerialNumber, step);
  return hotp(keyOf(d), step);
}

/**
 * A test with the CSP watch (every page must finish with zero violations and no page errors)
 * and the secrets ledger's watch on its browser context (ledger.ts).
 */
export const test = base.extend<{ cspWatch: void; secretLedger: void }>({
  secretLedger: [
    async ({ context }, use) => {
      const settled = watchContext(context);
      await use();
      await settled();
      for (const cookie of await context.cookies()) remember('session-token', cookie.value);
    },
    { auto: true },
  ],
  cspWatch: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          (window as any).__csp = [...((window as any).__csp ?? []), `${e.violatedDirective} ${e.blockedURI}`];
        });
      });
      await use();
      const violations = await page.evaluate(() => (window as any).__csp ?? []).catch(() => []);
      expect(violations, 'CSP violations').toEqual([]);
      expect(errors, 'page errors').toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };

/**
 * Runs axe on the page as it is and saves a screenshot to test-artifacts/screens/NAME.png, with a
 * new device's seed and QR code painted over: an artifact never shows a secret, even as pixels,
 * which the secrets scan of `cargo xtask test` cannot read.
 */
export async function checkScreen(page: Page, name: string) {
  mkdirSync('test-artifacts/screens', { recursive: true });
  const results = await new AxeBuilder({ page }).analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(summary, `axe violations on ${name}`).toEqual([]);
  await page.screenshot({
    path: `test-artifacts/screens/${name}.png`,
    fullPage: true,
    mask: [page.locator('.qr, [data-testid=secret]')],
  });
}

/** The password step for an IAM user. */
export async function passwordStep(page: Page, name: string) {
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { name: 'Sign in', level: 1 })).toBeVisible();
  await page.getByLabel('Account ID (12 digits) or account alias').fill(demo.Account.Alias);
  await page.getByLabel('IAM user name').fill(name);
  await page.getByLabel('Password').fill(user(name).Password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Multi-factor authentication' })).toBeVisible();
}

/** Picks a device on the MFA step or the troubleshoot page when there are several. */
export async function pickDevice(page: Page, serial: string) {
  const radio = page.getByRole('radio', { name: serial });
  if ((await radio.count()) > 0) await radio.check();
}

/** Signs an IAM user in with password and MFA (device in sync), ending on the credentials page. */
export async function signInWithMfa(page: Page, request: APIRequestContext, name: string) {
  await passwordStep(page, name);
  const d = device(name, 'virtual');
  await pickDevice(page, d.SerialNumber);
  await page.getByLabel('MFA code').fill(await signInCode(request, d));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Security credentials', level: 1 })).toBeVisible();
}

/** A device's item in the list of MFA devices (not the activity list, which names devices too). */
export function deviceItem(page: Page | Locator, serial: string): Locator {
  return page.getByRole('list', { name: 'MFA devices' }).getByRole('listitem').filter({ hasText: serial });
}
