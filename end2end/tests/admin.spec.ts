// Flow 4: an administrator resyncs another user's device (bob's HOTP token, pressed 50 times
// without the server seeing it) and finds the attempt in the audit trail; bob's next sign-in
// tells him.
import { test, expect, device, signInWithMfa, passwordStep, pickDevice, checkScreen, deviceItem } from './helpers';
import { hotp } from './otp';
import { keyOf } from './helpers';

// An administrator's sign-in may wait up to one 30 s step for a code not yet used by another spec.
test.describe.configure({ timeout: 120_000 });

test("an administrator resyncs another user's device and reads the audit trail", async ({ page, request }) => {
  const token = device('bob', 'hardware-hotp');
  await signInWithMfa(page, request, 'admin');
  await page.getByRole('link', { name: 'Administration' }).click();
  await expect(page.getByRole('heading', { name: 'Administration', level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Audit trail' })).toBeVisible();
  // Issue 16: what needs attention first — the administrator's own phone, whose clock leaves
  // the sign-in window within 30 days (the demo's history), and the token nobody holds yet.
  const attention = page.getByRole('region', { name: 'Needs attention' });
  await expect(attention.getByRole('listitem').filter({ hasText: "admin's device" })).toContainText(
    /mfa\/admin: gaining about \d+ s a week; at this rate it will need a resync around 20\d\d-\d\d-\d\d/,
  );
  await expect(attention.getByRole('listitem').filter({ hasText: 'GAHT30000003' })).toHaveText(
    'GAHT30000003, Hardware TOTP token: assigned to nobody yet',
  );
  await checkScreen(page, 'admin');

  await page.getByLabel('Show the MFA devices of').selectOption('bob');
  const row = deviceItem(page, token.SerialNumber);
  await expect(row).toContainText('Hardware HOTP token');
  await row.getByRole('button', { name: 'Resynchronise this device' }).click();
  // Whoever holds the token presses it twice and reads the codes out.
  const key = keyOf(token);
  const pressed = token.Counter ?? 0;
  await page.getByLabel('Code 1').fill(hotp(key, pressed));
  await page.getByLabel('Code 2').fill(hotp(key, pressed + 1));
  await checkScreen(page, 'admin-resync');
  await page.getByRole('button', { name: 'Resynchronise', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'resynchronised' })).toHaveText(
    "The device is resynchronised: the server caught up with the token's counter.",
  );

  // The audit trail, filtered: the request carries every filter, and each row shown matches.
  await page.getByLabel('User name', { exact: true }).fill('bob');
  await page.getByLabel('Action', { exact: true }).selectOption('ResyncMFADevice');
  await page.getByLabel('Outcome', { exact: true }).selectOption('Success');
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/audit/LookupEvents'));
  await page.getByRole('button', { name: 'Filter' }).click();
  const answer = await answered;
  expect(answer.request().postDataJSON()).toEqual({
    UserName: 'bob', Action: 'ResyncMFADevice', Outcome: 'Success', MaxResults: 25,
  });
  const events = (await answer.json()).Events;
  expect(events.length).toBeGreaterThan(0);
  const rows = page.getByRole('region', { name: 'Audit events' }).locator('tbody tr');
  await expect(rows).toHaveCount(events.length);
  for (let i = 0; i < events.length; i++) {
    await expect(rows.nth(i)).toContainText('ResyncMFADevice');
    await expect(rows.nth(i)).toContainText('Success');
  }
  await expect(rows.filter({ hasText: token.SerialNumber }).first()).toBeVisible();
  await checkScreen(page, 'admin-audit');

  // A device that never did anything: no rows, and a sentence that says so.
  await page.getByLabel('Device serial number').fill('GAXX99999999');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'No events match' })).toHaveText(
    'No events match these filters.',
  );
  await expect(rows).toHaveCount(0);

  // Issue 16: bob's next sign-in tells him what the administrator did meanwhile, in words and
  // the browser's local time, and his recent activity lists it.
  // He signs in with the token's next code (his phone's steps stay unused for stale.spec).
  await page.getByRole('button', { name: 'Sign out' }).click();
  await passwordStep(page, 'bob');
  await pickDevice(page, token.SerialNumber);
  await page.getByLabel('MFA code').fill(hotp(key, pressed + 2));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Security credentials', level: 1 })).toBeVisible();
  const since = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Since your last sign-in' }) });
  const told = `The device ${token.SerialNumber} was resynchronised by the IAM user admin`;
  await expect(since).toContainText(told);
  const item = since.getByRole('listitem').filter({ hasText: told });
  // The time is the browser's rendering of the event's, not the server's UTC text.
  await expect(item.locator('time')).not.toContainText('Z');
  await expect(item.locator('time')).toHaveText(/\d/);
  const activity = page.getByRole('region', { name: 'Recent activity' });
  await expect(activity.getByRole('listitem').filter({ hasText: told })).toHaveCount(1);
  await expect(activity.getByRole('listitem').first()).toContainText(
    `Signed in with the device ${token.SerialNumber}`,
  );
  await checkScreen(page, 'activity');
});
