//! Codes per second for a ±24 h TOTP resync scan (5,761 steps), the figure issue 3 asks for.
//!
//! Run: `cargo bench -p shared -- --warm-up-time 1 --measurement-time 3`.

// Criterion does not build for wasm32; the bench is native only.
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;

    use criterion::{Criterion, Throughput, criterion_group};
    use shared::code::{Code, Digits};
    use shared::device::TotpState;
    use shared::otp::{CodeGenerator, Totp, format_code};
    use shared::resync::{DEFAULT_TOTP_WINDOW, resync_totp};
    use shared::secret::Secret;

    /// Steps scanned in a ±24 h window: 2 × 2,880 + 1 (the scan also computes one extra code,
    /// step i + 1 of the last candidate).
    const STEPS: u64 = 2 * DEFAULT_TOTP_WINDOW + 1;

    fn resync_scan(c: &mut Criterion) {
        let secret = Secret::from_bytes((0u8..20).collect()).unwrap();
        let totp = Totp::default();
        let now = 1_764_428_400u64;
        let now_step = totp.step_at(now);
        let code = |s| {
            Code::parse(
                &format_code(totp.code_for_step(&secret, s), Digits::SIX),
                Digits::SIX,
            )
            .unwrap()
        };
        // The pair at the far edge: the scan covers the whole window whatever the pair.
        let first = now_step + DEFAULT_TOTP_WINDOW - 1;
        let (code1, code2) = (code(first), code(first + 1));

        let mut group = c.benchmark_group("resync");
        group.throughput(Throughput::Elements(STEPS));
        group.bench_function("totp ±24h (5,761 steps)", |b| {
            b.iter(|| {
                resync_totp(
                    &totp,
                    &secret,
                    black_box(&code1),
                    black_box(&code2),
                    black_box(now),
                    DEFAULT_TOTP_WINDOW,
                    TotpState::default(),
                )
                .unwrap()
            })
        });
        let generator = CodeGenerator::new(&secret, Digits::SIX);
        let mut codes = vec![0u32; STEPS as usize];
        group.bench_function("codes only (5,761 steps)", |b| {
            b.iter(|| {
                generator.fill(black_box(now_step - DEFAULT_TOTP_WINDOW), &mut codes);
                codes[0]
            })
        });
        group.finish();
    }

    criterion_group!(benches, resync_scan);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(target_arch = "wasm32")]
fn main() {}
