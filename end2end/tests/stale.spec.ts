// The trap of AWS's guide: a resync with stale codes "appears to work" and the device stays out
// of sync. The final check catches it and the page starts over with fresh codes.
import { test, expect, device, passwordStep, awayFromStepEdge, serverNowMs, keyOf, markUsed, checkScreen } from './helpers';
import { stepAt, totpForStep } from './otp';

test('stale codes are caught by the final check, then fresh ones work', async ({ page, request }) => {
  const phone = device('bob', 'virtual');
  const key = keyOf(phone);
  await passwordStep(page, 'bob');
  // Straight to troubleshooting, without a refused code first.
  await page.getByRole('link', { name: 'Having problems with your authentication device?' }).click();
  await page.getByRole('radio', { name: phone.SerialNumber }).check();

  // Two consecutive codes written down ten minutes ago.
  await awayFromStepEdge(request);
  let now = stepAt(await serverNowMs(request));
  await page.getByLabel('Code 1').fill(totpForStep(key, now - 21));
  await page.getByLabel('Code 2').fill(totpForStep(key, now - 20));
  await page.getByRole('button', { name: 'Resynchronise', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Found your device' })).toContainText('slow');

  // The code showing now does not sign in: the page says why and starts over.
  await page.getByLabel('Code showing now').fill(totpForStep(key, now));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'the codes you entered were probably stale' })).toBeVisible();
  await expect(page.getByLabel('Code 1')).toHaveValue('');
  await checkScreen(page, 'troubleshoot-stale');

  await awayFromStepEdge(request);
  now = stepAt(await serverNowMs(request));
  await page.getByRole('radio', { name: phone.SerialNumber }).check();
  await page.getByLabel('Code 1').fill(totpForStep(key, now - 1));
  await page.getByLabel('Code 2').fill(totpForStep(key, now));
  markUsed(phone.SerialNumber, now);
  // A double click sends one request: the browser never submits the same codes twice (a
  // second one would only be answered "already used", security rule 23).
  const resyncs: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/api/iam/ResyncMFADevice')) resyncs.push(r.postData() ?? '');
  });
  await page.getByRole('button', { name: 'Resynchronise', exact: true }).dblclick();
  await expect(page.getByRole('status').filter({ hasText: 'Found your device' })).toContainText('in step');
  expect(resyncs).toHaveLength(1);
  await page.getByLabel('Code showing now').fill(totpForStep(key, now + 1));
  markUsed(phone.SerialNumber, now + 1);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Security credentials', level: 1 })).toBeVisible();
});
