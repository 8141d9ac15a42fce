// Flow 5: a session that ends under the page returns to sign-in with a sentence that says why.
import { test, expect, signInWithMfa, checkScreen } from './helpers';

// An administrator's sign-in may wait up to one 30 s step for a code not yet used by another spec.
test.describe.configure({ timeout: 120_000 });

test('an expired session returns to sign-in and says why', async ({ page, request }) => {
  await signInWithMfa(page, request, 'admin');
  // The session ends elsewhere (another tab signed out, or the server expired it).
  const status = await page.evaluate(async () => {
    const r = await fetch('/api/sign-out', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'mfa-resync' },
      body: '{}',
    });
    return r.status;
  });
  expect(status).toBe(200);
  await page.getByRole('link', { name: 'Administration' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in', level: 1 })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Your session has expired' })).toBeVisible();
  await expect(page).toHaveURL(/\/sign-in$/);
  await checkScreen(page, 'session-expired');
});
