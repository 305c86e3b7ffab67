use std::sync::Arc;

use tiergate_core::{builtin, Catalog, Countries, DataError, Pack};

/// What a determination needs besides the request: the countries, the catalog and the rule pack.
#[derive(Clone, Debug)]
pub struct Env {
    pub countries: Arc<Countries>,
    pub catalog: Catalog,
    pub pack: Pack,
}

impl Env {
    /// The built-in data with the built-in pack.
    pub fn builtin() -> Result<Env, DataError> {
        let countries = builtin::countries()?;
        Ok(Env { catalog: builtin::catalog()?, pack: builtin::pack(Arc::clone(&countries))?, countries })
    }

    /// The built-in data with the pack in `text` (read from `source`, named in errors).
    pub fn with_pack(text: &str, source: &str) -> Result<Env, DataError> {
        let countries = builtin::countries()?;
        Ok(Env {
            catalog: builtin::catalog()?,
            pack: Pack::from_toml(text, source, Arc::clone(&countries))?,
            countries,
        })
    }
}
