// The release build really runs: a Trunk build can succeed and still crash at load (Debian's
// wasm-opt 108 does exactly that), so this test loads the page and waits for the app's own output.
import { test, expect } from '@playwright/test';

test('the release app boots, reaches the API and breaks no CSP rule', async ({ page }) => {
  const violations: string[] = [];
  const errors: string[] = [];
  page.on('console', (msg) => {
    // The app asks `GET /api/session` who is signed in; without a session the answer is a 401
    // by design, which Chromium logs as a failed resource. Anything else is an error.
    if (msg.type() === 'error' && !/status of 401/.test(msg.text())) errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as any).__cspViolations = [...((window as any).__cspViolations ?? []), e.violatedDirective];
    });
  });

  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toContain("'unsafe-eval'");

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in');
  await expect(page.getByTestId('server-time')).toHaveText(/Server time \d\d:\d\d:\d\d UTC/);

  violations.push(...(await page.evaluate(() => (window as any).__cspViolations ?? [])));
  expect(violations).toEqual([]);
  expect(errors).toEqual([]);
  await page.screenshot({ path: 'test-artifacts/screens/boot.png', fullPage: true });
});
