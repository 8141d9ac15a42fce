// Flow 3: assigning a new virtual device — QR code and the secret shown once, enabled with two
// consecutive codes through the same form and timer as a resync.
import { test, expect, signInWithMfa, awayFromStepEdge, serverNowMs, checkScreen, deviceItem } from './helpers';
import { base32Decode, stepAt, totpForStep } from './otp';
import { remember } from './ledger';

// An administrator's sign-in may wait up to one 30 s step for a code not yet used by another spec.
test.describe.configure({ timeout: 120_000 });

test('a new virtual MFA device is assigned with two consecutive codes', async ({ page, request }) => {
  await signInWithMfa(page, request, 'admin');
  const name = `e2e-phone-${Date.now()}`;
  await page.getByLabel('Device name').fill(name);
  await page.getByRole('button', { name: 'Create the device' }).click();
  await expect(page.getByRole('img', { name: "QR code of the new device's secret" })).toBeVisible();
  // Shown in groups of four, as authenticator apps show it.
  const grouped = (await page.getByTestId('secret').textContent())!.trim();
  expect(grouped).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
  const secret = grouped.replace(/ /g, '');
  expect(secret).toMatch(/^[A-Z2-7]{26,}$/);
  remember('seed', secret);
  // Issue 17, item 10: one press copies it, without the spaces.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByRole('button', { name: 'Copy the secret' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Copied.' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await expect(page.getByTestId('timer-phase')).toHaveText('Enter the code your device shows now.');
  await checkScreen(page, 'enrol');

  const key = base32Decode(secret);
  await awayFromStepEdge(request);
  const now = stepAt(await serverNowMs(request));
  await page.getByLabel('Code 1').fill(totpForStep(key, now - 1));
  await page.getByLabel('Code 2').fill(totpForStep(key, now));
  await page.getByRole('button', { name: 'Assign MFA' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The virtual MFA device is assigned' })).toBeVisible();
  await expect(page.getByTestId('secret')).toHaveCount(0);
  await expect(deviceItem(page, `mfa/${name}`)).toContainText('Active');

  // And deactivated again, after a confirmation.
  const item = deviceItem(page, `mfa/${name}`);
  await item.getByRole('button', { name: 'Deactivate' }).click();
  await expect(item.getByRole('group', { name: 'Confirm deactivation' })).toBeVisible();
  await checkScreen(page, 'deactivate-confirm');
  await item.getByRole('button', { name: 'Yes, deactivate' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The device is deactivated.' })).toBeVisible();
  await expect(deviceItem(page, `mfa/${name}`)).toHaveCount(0);
});
