//! Compiles the customer screen's `.slint` files when the `screen` feature is on.

fn main() {
    #[cfg(feature = "screen")]
    {
        let config = slint_build::CompilerConfiguration::new().with_style("fluent".into());
        if let Err(e) = slint_build::compile_with_config("ui/display.slint", config) {
            eprintln!("ui/display.slint: {e}");
            std::process::exit(1);
        }
    }
}
