// A throttled device: after five refused resyncs the server stops checking codes for a while;
// the page counts the wait down and keeps the form disabled. An administrator unlocks it.
import { test, expect, device, passwordStep, signInWithMfa, checkScreen, deviceItem } from './helpers';
import { watchContext } from './ledger';

// An administrator's sign-in may wait up to one 30 s step for a code not yet used by another spec.
test.describe.configure({ timeout: 120_000 });

test('five wrong resyncs throttle the device, counted down, until an administrator unlocks it', async ({ page, browser, request }) => {
  const token = device('alice', 'hardware-totp');
  await passwordStep(page, 'alice');
  await page.getByRole('link', { name: 'Having problems with your authentication device?' }).click();
  await page.getByRole('radio', { name: token.SerialNumber }).check();
  for (let attempt = 1; attempt <= 5; attempt++) {
    await page.getByLabel('Code 1').fill('000000');
    await page.getByLabel('Code 2').fill('000001');
    await page.getByRole('button', { name: 'Resynchronise', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'The two codes were not consecutive codes of this device' })).toBeVisible();
    await expect(page.getByLabel('Code 1')).toHaveValue('');
  }
  // The fifth refusal says the wait it started (issue 17, item 4): no sixth try needed.
  await expect(page.getByRole('alert').filter({ hasText: 'a wait of 30 s has started' })).toBeVisible();
  const countdown = page.getByTestId('retry-countdown');
  await expect(countdown).toHaveText(/^Try again in \d+ s\.$/);
  const first = Number((await countdown.textContent())!.match(/\d+/)![0]);
  expect(first).toBeGreaterThan(0);
  expect(first).toBeLessThanOrEqual(30);
  // It counts down, on its own.
  await expect
    .poll(async () => Number(((await countdown.textContent()) ?? '').match(/\d+/)?.[0] ?? first), { timeout: 5_000 })
    .toBeLessThan(first);
  await expect(page.getByRole('button', { name: 'Resynchronise', exact: true })).toBeDisabled();
  await checkScreen(page, 'throttled');

  // An administrator sees the throttle and lifts it.
  const adminContext = await browser.newContext();
  const ledgerSettled = watchContext(adminContext);
  const admin = await adminContext.newPage();
  await signInWithMfa(admin, request, 'admin');
  await admin.getByRole('link', { name: 'Administration' }).click();
  await admin.getByLabel('Show the MFA devices of').selectOption('alice');
  const item = deviceItem(admin, token.SerialNumber);
  await expect(item).toContainText(/Throttled for \d+ s/);
  await item.getByRole('button', { name: 'Unlock' }).click();
  await expect(admin.getByRole('status').filter({ hasText: 'The device is unlocked.' })).toBeVisible();
  await expect(deviceItem(admin, token.SerialNumber)).toContainText('Active');
  await ledgerSettled();
  await admin.context().close();
});
