// Keyboard-only sign-in, and the troubleshoot page on a 360 px wide phone screen.
import { test, expect, demo, device, user, passwordStep, signInCode, checkScreen } from './helpers';

// An administrator's sign-in may wait up to one 30 s step for a code not yet used by another spec.
test.describe.configure({ timeout: 120_000 });

test('sign-in with MFA works with the keyboard alone', async ({ page, request }) => {
  await page.goto('/sign-in');
  // The app mounts after the page's load event (the WebAssembly streams in): wait for the form,
  // or the first Tab lands on an empty page.
  await expect(page.getByRole('radio', { name: 'IAM user' })).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('radio', { name: 'IAM user' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Account ID (12 digits) or account alias')).toBeFocused();
  await page.keyboard.type(demo.Account.Alias);
  await page.keyboard.press('Tab');
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password')).toBeFocused();
  await page.keyboard.type(user('admin').Password);
  await page.keyboard.press('Enter');
  // The code step takes focus itself.
  await expect(page.getByLabel('MFA code')).toBeFocused();
  await page.keyboard.type(await signInCode(request, device('admin', 'virtual')));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Security credentials', level: 1 })).toBeVisible();
  // Focus is visible: the focused control gets an outline.
  await page.getByRole('link', { name: 'Administration' }).focus();
  const outline = await page.getByRole('link', { name: 'Administration' }).evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(outline).toBe('solid');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Administration', level: 1 })).toBeVisible();
});

test.describe('on a 360 px screen', () => {
  test.use({ viewport: { width: 360, height: 780 } });

  test('the troubleshoot page fits without sideways scrolling', async ({ page }) => {
    await passwordStep(page, 'alice');
    await checkScreen(page, 'sign-in-mfa-360');
    await page.getByRole('link', { name: 'Having problems with your authentication device?' }).click();
    await expect(page.getByLabel('Code 1')).toBeVisible();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(360);
    await checkScreen(page, 'troubleshoot-360');
  });
});
