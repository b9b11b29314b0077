//! What the fuzz targets share: the shipped survey forms, loaded once.

use std::sync::OnceLock;

use manyi::forms::FormCatalog;

pub fn catalog() -> &'static FormCatalog {
    static CATALOG: OnceLock<FormCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../survey-forms");
        FormCatalog::load_dir(&dir).expect("the shipped forms load")
    })
}
