//! `manyi forms check` and `manyi forms retire`: the survey form files and
//! their registered versions.

use crate::config::Settings;
use crate::forms::FormCatalog;

pub fn check(settings: &Settings) -> anyhow::Result<()> {
    let catalog = FormCatalog::load_dir(&settings.forms_dir)?;
    for f in catalog.iter() {
        println!(
            "{}\t{}\t{} items\t{}",
            f.form.key,
            f.version_hash,
            f.form.items.len(),
            f.source.display()
        );
    }
    Ok(())
}

pub fn retire(settings: &Settings, version: &str) -> anyhow::Result<()> {
    let mut conn = super::connect(settings)?;
    let row = crate::forms::retire_version(&mut conn, version)?;
    println!("retired {} version {}", row.form_key, row.version_hash);
    Ok(())
}
