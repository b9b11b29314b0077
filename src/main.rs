fn main() -> std::process::ExitCode {
    manyi::cli::main()
}
