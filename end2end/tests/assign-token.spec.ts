// Issue 16: a person assigns a hardware token from the account's pool (where a vendor's PSKC file
// puts it; the demo has one) with its serial number and two consecutive codes, through the same
// form and timer as a resync, as AWS's "Assign hardware TOTP token" does.
import { test, expect, signInWithMfa, awayFromStepEdge, serverNowMs, checkScreen, deviceItem, device, keyOf } from './helpers';
import { stepAt, totpForStep } from './otp';

// An administrator's sign-in may wait up to one 30 s step for a code not yet used by another spec.
test.describe.configure({ timeout: 120_000 });

test('a hardware token from the pool is assigned with its serial number and two codes', async ({ page, request }) => {
  const token = device('', 'hardware-totp');
  const key = keyOf(token);
  await signInWithMfa(page, request, 'admin');
  const card = page.getByRole('region', { name: 'Assign a hardware token' });
  await expect(card.getByLabel('Code 1')).toHaveCount(0);
  await card.getByLabel('Serial number').fill(token.SerialNumber);
  // The code form and its timer, as for a resync.
  await expect(card.getByTestId('timer-phase')).toHaveText('Enter the code your device shows now.');
  await expect(card.getByTestId('seconds-left')).toBeVisible();
  await checkScreen(page, 'assign-token');

  // Codes of another token: refused, and nothing is assigned.
  await awayFromStepEdge(request);
  let now = stepAt(await serverNowMs(request));
  const other = keyOf(device('alice', 'hardware-totp'));
  await card.getByLabel('Code 1').fill(totpForStep(other, now - 1));
  await card.getByLabel('Code 2').fill(totpForStep(other, now));
  await card.getByRole('button', { name: 'Assign MFA' }).click();
  await expect(card.getByRole('alert')).toBeVisible();
  await expect(deviceItem(page, token.SerialNumber)).toHaveCount(0);

  await awayFromStepEdge(request);
  now = stepAt(await serverNowMs(request));
  await card.getByLabel('Code 1').fill(totpForStep(key, now - 1));
  await card.getByLabel('Code 2').fill(totpForStep(key, now));
  await card.getByRole('button', { name: 'Assign MFA' }).click();
  await expect(card.getByRole('status').filter({ hasText: 'The hardware token is assigned' })).toBeVisible();
  const item = deviceItem(page, token.SerialNumber);
  await expect(item).toContainText('Hardware TOTP token');
  await expect(item).toContainText('Active');

  // Deactivated again (a hardware token leaves the account), so the administrator's later
  // sign-ins in other specs meet one device as before.
  await item.getByRole('button', { name: 'Deactivate' }).click();
  await item.getByRole('button', { name: 'Yes, deactivate' }).click();
  await expect(deviceItem(page, token.SerialNumber)).toHaveCount(0);
});
