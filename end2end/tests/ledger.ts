// The secrets ledger (issue 14, "Secrets never leak"): every secret the browser tests hold —
// the demo's seeds and passwords, every code and password the browser sends, every session
// cookie and seed the server answers — is appended to a file in MFA_RESYNC_SECRET_LEDGER,
// which `cargo xtask test` sets; its last step searches every log and artifact of the run for
// each of them (xtask/src/leaks.rs). One entry a line, `KIND<TAB>VALUE`, as the Rust and pytest
// harnesses write. Without the variable nothing is written.
import { appendFileSync } from 'node:fs';
import type { BrowserContext } from '@playwright/test';

export type SecretKind = 'seed' | 'seed-hex' | 'code' | 'password' | 'session-token' | 'access-key-secret';

const dir = process.env.MFA_RESYNC_SECRET_LEDGER;
const written = new Set<string>();

/** Appends one secret (once per process). */
export function remember(kind: SecretKind, value: string | null | undefined) {
  if (!dir || !value || /[\t\r\n]/.test(value)) return;
  const line = `${kind}\t${value}`;
  if (written.has(line)) return;
  written.add(line);
  appendFileSync(`${dir}/playwright-${process.pid}.tsv`, `${line}\n`);
}

/** The secrets of a JSON value under the API's and the demo's names, at any depth. */
export function rememberJson(value: unknown) {
  if (Array.isArray(value)) {
    value.forEach(rememberJson);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      rememberJson(v);
    } else if (key === 'Base32Seed' || key === 'Base32StringSeed') {
      remember('seed', v);
    } else if (key === 'SecretAccessKey') {
      remember('access-key-secret', v);
    } else if (key.startsWith('AuthenticationCode')) {
      remember('code', v);
    } else if (key.endsWith('Password')) {
      remember('password', v);
    }
  }
}

/**
 * Watches every page of a browser context: the codes and passwords of each request body, and
 * the session cookie after each API request (the cookie jar read, which rotates at sign-in and
 * at MFA). The returned function waits for the jar reads still under way (call it before the
 * context closes). Answers' bodies and headers are not read: Playwright may never deliver them
 * for an answer the page dropped, which would hold the test's end; the seeds the browser
 * receives are recorded by the spec that reads them from the page (enrol.spec.ts).
 */
export function watchContext(context: BrowserContext): () => Promise<void> {
  const pending: Promise<unknown>[] = [];
  context.on('request', (request) => {
    const body = request.postData();
    if (!body) return;
    try {
      rememberJson(JSON.parse(body));
    } catch {
      // Not JSON: no field of ours.
    }
  });
  context.on('requestfinished', (request) => {
    if (!new URL(request.url()).pathname.startsWith('/api/')) return;
    pending.push(
      context
        .cookies()
        .then((cookies) => cookies.forEach((c) => remember('session-token', c.value)))
        .catch(() => {
          // The context closed meanwhile: its last cookies were read before.
        }),
    );
  });
  return async () => {
    await Promise.allSettled(pending);
  };
}
