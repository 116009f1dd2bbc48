//! Compiles the Slint screens in ui/ into Rust, with their translations bundled.
fn main() {
    // Element debug info lets Slint's testing backend find elements (the UI tests press buttons
    // by their accessible label); debug builds only, so release builds stay lean.
    let debug = std::env::var("PROFILE").as_deref() == Ok("debug");
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_bundled_translations("ui/translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_debug_info(debug);
    slint_build::compile_with_config("ui/app.slint", config).expect("the Slint screens compile");
}
