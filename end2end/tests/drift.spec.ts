// Issue 16: where a device's clock is heading, on Security credentials. The demo gives the
// administrator's phone 60 days of daily sign-ins, its clock gaining a step every 8 days; the
// app says, in words, the rate and the day a resync will be needed, and when it was last used,
// and draws the history.
import { test, expect, signInWithMfa, checkScreen, deviceItem } from './helpers';

test.describe.configure({ timeout: 120_000 });

test('a device shows its forecast and when it was last used', async ({ page, request }) => {
  await signInWithMfa(page, request, 'admin');
  const item = deviceItem(page, 'mfa/admin');
  // The sign-in just now is the device's last use: today (the list's dates are UTC).
  const today = new Date().toISOString().slice(0, 10);
  const cell = (term: string) => item.locator('dt', { hasText: term }).locator('xpath=following-sibling::dd[1]');
  await expect(cell('Last used')).toContainText(today);
  // About 0.125 steps a day: 26 s a week, out of the window (1.5 steps) in about 12 days.
  // Other specs' sign-ins add samples now, some a step ahead (when the current step was used),
  // which can steepen the fit a little: the figure is read as a range.
  const forecast = cell('Forecast');
  await expect(forecast).toHaveText(
    /^gaining about \d+ s a week; at this rate it will need a resync around 20\d\d-\d\d-\d\d$/,
  );
  const perWeek = Number((await forecast.textContent())!.match(/about (\d+) s/)![1]);
  expect(perWeek).toBeGreaterThanOrEqual(20);
  expect(perWeek).toBeLessThanOrEqual(60);
  const day = (await forecast.textContent())!.slice(-10);
  const daysAway = (Date.parse(day) - Date.now()) / 86_400_000;
  // In about 12 days, or 20 when a sign-in a step ahead moved the stored drift (and so the
  // window) a step up: within the administrators' 30 days either way.
  expect(daysAway).toBeGreaterThan(3);
  expect(daysAway).toBeLessThan(30);
  // The chart: a line through the measured offsets, left to right in time, rising (the clock
  // gains), around the zero line; described for screen readers.
  const chart = item.getByRole('img', { name: /measured drift over time/ });
  await expect(chart).toBeVisible();
  const points = (await chart.locator('polyline').getAttribute('points'))!
    .trim()
    .split(' ')
    .map((p) => p.split(',').map(Number));
  expect(points.length).toBeGreaterThanOrEqual(60);
  const xs = points.map(([x]) => x);
  expect(xs[0]).toBe(0);
  expect(xs[xs.length - 1]).toBe(240);
  expect([...xs].sort((a, b) => a - b)).toEqual(xs);
  for (const [, y] of points) {
    expect(y).toBeGreaterThanOrEqual(2);
    expect(y).toBeLessThanOrEqual(58);
  }
  // Up is fast: the last samples sit higher (a smaller y) than the first ones.
  expect(points[points.length - 1][1]).toBeLessThan(points[0][1]);
  await expect(chart.locator('line.zero')).toHaveAttribute('y1', '30');
  await checkScreen(page, 'drift-forecast');
});
