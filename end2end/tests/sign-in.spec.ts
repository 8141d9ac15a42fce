// Flow 1: an IAM user signs in with password and MFA; a wrong password is refused in words.
import { test, expect, demo, device, user, passwordStep, signInCode, checkScreen } from './helpers';

// An administrator's sign-in may wait up to one 30 s step for a code not yet used by another spec.
test.describe.configure({ timeout: 120_000 });

test('an IAM user signs in with password and MFA code', async ({ page, request }) => {
  await page.goto('/');
  await checkScreen(page, 'sign-in');
  await passwordStep(page, 'admin');
  await checkScreen(page, 'sign-in-mfa');
  const d = device('admin', 'virtual');
  const radio = page.getByRole('radio', { name: d.SerialNumber });
  if ((await radio.count()) > 0) await radio.check();
  const code = await signInCode(request, d);
  // A paste with a space works: the space is dropped before sending.
  await page.getByLabel('MFA code').fill(`${code.slice(0, 3)} ${code.slice(3)}`);
  await expect(page.getByLabel('MFA code')).toHaveValue(code);
  await page.getByLabel('MFA code').press('Enter');
  await expect(page.getByRole('heading', { name: 'Security credentials', level: 1 })).toBeVisible();
  await expect(page.getByText(`arn:aws:iam::${demo.Account.Id}:user/admin`)).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Virtual MFA device (authenticator app)' }).first()).toBeVisible();
  await checkScreen(page, 'credentials');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'You have signed out.' })).toBeVisible();
});

test('a wrong password and a malformed code are refused with what to do', async ({ page }) => {
  await page.goto('/sign-in');
  await page.getByLabel('Account ID (12 digits) or account alias').fill(demo.Account.Id);
  await page.getByLabel('IAM user name').fill('admin');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The account, user name or password is not correct' })).toBeVisible();
  await checkScreen(page, 'sign-in-refused');

  await page.getByLabel('Password').fill(user('admin').Password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('MFA code').fill('12a4');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Character 3 of the code is not a digit')).toBeVisible();
  await expect(page.getByLabel('MFA code')).toHaveAttribute('aria-invalid', 'true');
  await page.getByRole('button', { name: 'Cancel and start again' }).click();
  await expect(page.getByLabel('Password')).toBeVisible();
});

test('what is typed before the session check answers is kept', async ({ page }) => {
  // Hold GET /api/session until the form is filled in: its answer ("signed out") must not
  // rebuild the form under the person's fingers.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/session', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/sign-in');
  await page.getByLabel('Account ID (12 digits) or account alias').fill(demo.Account.Alias);
  await page.getByLabel('IAM user name').fill('bob');
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/session'));
  release();
  expect((await answered).status()).toBe(401);
  // What was typed still signs in: a rebuilt form would be empty, and its required fields
  // would stop the submission.
  await page.getByLabel('Password').fill(user('bob').Password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Multi-factor authentication' })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel and start again' }).click();
  await expect(page.getByLabel('IAM user name')).toBeVisible();
});
