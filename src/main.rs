fn main() -> std::process::ExitCode {
    lotkeeper::cli::main()
}
