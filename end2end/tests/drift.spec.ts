// Issue 16: where a device's clock is heading, on Security credentials. The demo gives the
// administrator's phone 60 days of daily sign-ins, its clock gaining a step every 20 days; the
// app draws them and says, in words, the rate and when a resync will be needed.
import { test, expect, signInWithMfa, checkScreen } from './helpers';

test.describe.configure({ timeout: 120_000 });

test('a device shows its drift chart, its forecast and when it was last used', async ({ page, request }) => {
  await signInWithMfa(page, request, 'admin');
  const item = page.getByRole('listitem').filter({ hasText: 'mfa/admin' });
  // The sign-in just now is the device's last use: today, in the list's UTC.
  const today = new Date().toISOString().slice(0, 10);
  await expect(item.getByRole('definition').filter({ hasText: today })).not.toHaveCount(0);
  await expect(item).toContainText('Last used');
  // About 0.05 steps a day: 10 or 11 s a week, out of the window (1.5 steps) in about a month.
  const forecast = item.locator('dt:text("Forecast") + dd');
  await expect(forecast).toHaveText(
    /^gaining about 1[01] s a week; at this rate it will need a resync around (December|January|February) 20\d\d$/,
  );
  const chart = item.getByRole('img', { name: /measured drift over time/ });
  await expect(chart).toBeVisible();
  // One point per accepted code: the 60 of the demo and at least today's sign-in.
  const points = (await chart.locator('polyline').getAttribute('points'))!.trim().split(' ');
  expect(points.length).toBeGreaterThanOrEqual(61);
  const [x0, y0] = points[0].split(',').map(Number);
  const [xn, yn] = points[points.length - 1].split(',').map(Number);
  // Oldest at the left edge, 3 steps slow (below the zero line); newest at the right, on the line (or a step ahead, when its code was the next step's).
  expect([x0, xn]).toEqual([0, 240]);
  expect(y0).toBeGreaterThan(30);
  expect(yn).toBeLessThanOrEqual(30);
  await checkScreen(page, 'drift-forecast');
});
