// An independent HOTP/TOTP (RFC 4226, RFC 6238) on node's crypto, so the browser tests never
// trust the code under test to compute the codes they type.
import { createHmac } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 Base32, case-insensitive, padding optional. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const index = ALPHABET.indexOf(ch);
    if (index < 0) throw new Error(`not Base32: ${ch}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226 §5.3: HMAC-SHA1 of the 8-byte counter, dynamic truncation, `digits` digits. */
export function hotp(key: Buffer, counter: number | bigint, digits = 6): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary =
    ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** RFC 6238 §4.2: the step of a time (T0 = 0). */
export function stepAt(unixMs: number, period = 30): number {
  return Math.floor(unixMs / 1000 / period);
}

/** The code a device shows at `unixMs` when its clock runs `offsetSeconds` fast (negative: slow). */
export function totp(key: Buffer, unixMs: number, offsetSeconds = 0, digits = 6, period = 30): string {
  return hotp(key, stepAt(unixMs + offsetSeconds * 1000, period), digits);
}

/** The code of an explicit step. */
export function totpForStep(key: Buffer, step: number, digits = 6): string {
  return hotp(key, step, digits);
}
