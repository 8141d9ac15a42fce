// The test's own OTP against RFC 6238 Appendix B (SHA-1) and RFC 4226 Appendix D.
import { test, expect } from '@playwright/test';
import { hotp, totp, base32Decode } from './otp';

const key = Buffer.from('12345678901234567890', 'ascii');

test('the test helper reproduces the RFC 6238 SHA-1 vectors', () => {
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];
  for (const [t, code] of vectors) expect(totp(key, t * 1000, 0, 8)).toBe(code);
  // A time offset is a shifted clock: 30 s fast at t = 29 shows the code of t = 59.
  expect(totp(key, 29_000, 30, 8)).toBe('94287082');
});

test('the test helper reproduces RFC 4226 HOTP and Base32', () => {
  expect(hotp(key, 0)).toBe('755224');
  expect(hotp(key, 9)).toBe('520489');
  expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').toString('ascii')).toBe('12345678901234567890');
});
