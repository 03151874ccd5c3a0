//! The `georep` binary: its allocator, then the library's `command::main` (command.rs).
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    georep::command::main()
}
