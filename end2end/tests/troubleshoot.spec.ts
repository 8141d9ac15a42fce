// Flow 2, the heart: a drifted device's code is refused at sign-in → "Having problems with your
// authentication device?" → resync with two consecutive codes and the warning timer → the
// measured drift in words → the code showing now finishes signing in.
import { test, expect, demo, device, passwordStep, awayFromStepEdge, serverNowMs, keyOf, markUsed, checkScreen, deviceItem } from './helpers';
import { stepAt, totpForStep } from './otp';

test('a refused code leads to the troubleshoot page, a resync, and sign-in', async ({ page, request }) => {
  // alice's phone runs 2 min 30 s fast; the server still believes it runs 5 min fast.
  const phone = device('alice', 'virtual');
  const key = keyOf(phone);
  const fast = 150;
  await passwordStep(page, 'alice');
  await page.getByRole('radio', { name: phone.SerialNumber }).check();
  await awayFromStepEdge(request);
  let shows = stepAt((await serverNowMs(request)) + fast * 1000);
  await page.getByLabel('MFA code').fill(totpForStep(key, shows));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'That code was not accepted' })).toBeVisible();
  await page.getByRole('link', { name: 'Having problems with your authentication device?' }).click();

  await expect(page.getByRole('heading', { name: 'Resynchronise your MFA device', level: 1 })).toBeVisible();
  await expect(page).toHaveURL(/\/troubleshoot$/);
  // Several devices: a picker; the FIDO key is explained, not offered.
  await page.getByText('Why is my FIDO key not listed?').click();
  await expect(page.getByText('A FIDO security key has no clock')).toBeVisible();
  await page.getByRole('radio', { name: phone.SerialNumber }).check();
  await expect(page.getByTestId('timer-phase')).toHaveText('Enter the code your device shows now.');
  await expect(page.getByTestId('seconds-left')).toHaveText(/^\d+ s$/);
  await checkScreen(page, 'troubleshoot');

  // Code 1 pasted with a space; focus moves on to code 2 by itself.
  await awayFromStepEdge(request);
  shows = stepAt((await serverNowMs(request)) + fast * 1000);
  const code1 = totpForStep(key, shows - 1);
  await page.getByLabel('Code 1').fill(`${code1.slice(0, 3)} ${code1.slice(3)}`);
  await expect(page.getByLabel('Code 1')).toHaveValue(code1);
  await expect(page.getByLabel('Code 2')).toBeFocused();
  await expect(page.getByTestId('timer-phase')).toHaveText(/^Wait for the next code \(about \d+ s\)/);
  await expect(page.getByTestId('timer-announcement')).toHaveText(/^Wait for the next code/);
  await page.getByLabel('Code 2').fill(totpForStep(key, shows));
  await expect(page.getByTestId('timer-phase')).toHaveText(/^Submit now — these codes expire in about \d+ s\.$/);
  await checkScreen(page, 'troubleshoot-codes');
  await page.getByLabel('Code 2').press('Enter');
  markUsed(phone.SerialNumber, shows);

  await expect(page.getByRole('status').filter({ hasText: 'Found your device' })).toHaveText(
    "Found your device: its clock runs 2 min 30 s fast. Confirm with the code showing now.",
  );
  await expect(page.getByRole('heading', { name: 'Finish signing in' })).toBeVisible();
  await checkScreen(page, 'troubleshoot-finish');
  await page.getByLabel('Code showing now').fill(totpForStep(key, shows + 1));
  markUsed(phone.SerialNumber, shows + 1);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Security credentials', level: 1 })).toBeVisible();
  await expect(deviceItem(page, phone.SerialNumber)).toContainText(/runs \d+ min( \d+ s)? fast/);
});

test('the root user resyncs before signing in (pre-sign-in flow)', async ({ page, request }) => {
  const d = device('root', 'virtual');
  const key = keyOf(d);
  await page.goto('/sign-in');
  await page.getByRole('radio', { name: 'Root user' }).check();
  await page.getByLabel('Root user email address').fill(demo.Root.Email);
  await page.getByLabel('Password').fill(demo.Root.Password);
  await checkScreen(page, 'sign-in-root');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Multi-factor authentication' })).toBeVisible();
  await awayFromStepEdge(request);
  let now = stepAt(await serverNowMs(request));
  await page.getByLabel('MFA code').fill(totpForStep(key, now));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'That code was not accepted' })).toBeVisible();
  await page.getByRole('link', { name: 'Having problems with your authentication device?' }).click();

  await expect(page.getByText(d.SerialNumber)).toBeVisible();
  await awayFromStepEdge(request);
  now = stepAt(await serverNowMs(request));
  await page.getByLabel('Code 1').fill(totpForStep(key, now - 1));
  await page.getByLabel('Code 2').fill(totpForStep(key, now));
  await page.getByRole('button', { name: 'Resynchronise', exact: true }).click();
  markUsed(d.SerialNumber, now);
  await expect(page.getByRole('status').filter({ hasText: 'Found your device' })).toHaveText(
    "Found your device: its clock is in step with the server's. Confirm with the code showing now.",
  );
  await page.getByLabel('Code showing now').fill(totpForStep(key, now + 1));
  markUsed(d.SerialNumber, now + 1);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Security credentials', level: 1 })).toBeVisible();
  await expect(page.getByText(':root')).toBeVisible();
});

test("a browser clock 2 min 15 s slow gets a quiet note; the timer keeps the server's time", async ({ page, request }) => {
  await page.clock.install({ time: Date.now() - 135_000 });
  await page.clock.resume();
  await passwordStep(page, 'alice');
  await page.getByRole('link', { name: 'Having problems with your authentication device?' }).click();
  await expect(page.getByTestId('clock-note')).toContainText("This computer's clock is 2 min 15 s behind the server's");
  // The countdown follows the server's clock, not the browser's.
  await awayFromStepEdge(request);
  const serverLeft = 30 - Math.floor(((await serverNowMs(request)) / 1000) % 30);
  const shown = Number(((await page.getByTestId('seconds-left').textContent()) ?? '').match(/\d+/)![0]);
  expect(Math.abs(shown - serverLeft)).toBeLessThanOrEqual(2);
  await checkScreen(page, 'troubleshoot-clock-note');
});
