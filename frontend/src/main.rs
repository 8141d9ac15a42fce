//! Mounts the app; everything else lives in the library so tests can import it.

/// A small free-list allocator instead of std's dlmalloc (a few KB less wasm); the app is
/// single-threaded and allocates little.
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown without atomics runs one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

fn main() {
    // Release builds leave this out (650 B gzip of the 150 KB budget): a panic there shows as
    // "unreachable executed" in the console; `trunk serve` (debug) says where it happened.
    #[cfg(debug_assertions)]
    frontend::report_panics_to_the_console();
    leptos::mount::mount_to_body(frontend::App);
}
