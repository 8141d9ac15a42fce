//! `mfa-resync`: see `backend::cli`.

fn main() -> std::process::ExitCode {
    backend::cli::main()
}
