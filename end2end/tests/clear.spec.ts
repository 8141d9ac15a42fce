// The warning timer's stale state, on a browser clock the test moves: code 1 typed, two steps
// pass, the timer warns that the codes may have expired and "Clear the codes" starts over.
import { test, expect, device, keyOf, passwordStep, serverNowMs, checkScreen } from './helpers';
import { stepAt, totpForStep } from './otp';

test('codes left too long are flagged stale and cleared on request', async ({ page, request }) => {
  // The page's clock is Playwright's; `/api/time` answers the server's time moved by as much as
  // the test moves the page's clock, so the app's offset estimate stays right after a refresh.
  let movedMs = 0;
  await page.clock.install();
  await page.route('**/api/time', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    await route.fulfill({ response, json: { ...body, NowMs: body.NowMs + movedMs } });
  });

  await passwordStep(page, 'admin');
  await page.getByRole('link', { name: 'Having problems with your authentication device?' }).click();
  const phase = page.getByTestId('timer-phase');
  await expect(phase).toHaveText('Enter the code your device shows now.');

  const key = keyOf(device('admin', 'virtual'));
  await page.getByLabel('Code 1').fill(totpForStep(key, stepAt(await serverNowMs(request))));
  await expect(page.getByLabel('Code 2')).toBeFocused();
  await expect(phase).toHaveText(/^(Wait for the next code|Your device shows a new code now)/);

  // Two full steps later the device shows a third code: code 1 is stale.
  movedMs = 61_000;
  await page.clock.fastForward(61_000);
  await expect(phase).toHaveText(/^Code 1 was typed more than a step ago: these codes may have expired/);
  await expect(page.getByTestId('timer-announcement')).toHaveText(/^Code 1 was typed more than a step ago/);
  await checkScreen(page, 'troubleshoot-codes-stale');
  await page.getByRole('button', { name: 'Clear the codes' }).click();

  await expect(page.getByLabel('Code 1')).toHaveValue('');
  await expect(page.getByLabel('Code 2')).toHaveValue('');
  await expect(page.getByLabel('Code 1')).toBeFocused();
  await expect(phase).toHaveText('Enter the code your device shows now.');
  await expect(page.getByRole('button', { name: 'Clear the codes' })).toHaveCount(0);
});
