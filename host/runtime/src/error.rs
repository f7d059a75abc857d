//! Why a plugin failed to load, or a call into it failed (as opposed to the tool reporting
//! an error, which is a `CallError`).

/// A plugin was refused at load time; the previous version (if any) keeps serving.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("not a usable WebAssembly component: {0}")]
    Compile(String),
    #[error(
        "the plugin was built against latchkey:connector@{found}; this gateway supports \
         latchkey:connector@{supported}.x (rebuild the plugin with a matching latchkey-sdk)"
    )]
    IncompatibleVersion { found: String, supported: String },
    #[error(
        "the plugin does not export latchkey:connector/plugin (is it built with latchkey-sdk?)"
    )]
    MissingExport,
    #[error("the plugin imports {0}, which this gateway does not provide to plugins")]
    UnsupportedImport(String),
    #[error("the plugin cannot be linked: {0}")]
    Link(String),
    #[error("the plugin's describe() failed: {0}")]
    Describe(CallFailure),
    #[error("the plugin's manifest is invalid: {0}")]
    InvalidManifest(String),
}

/// A call into a plugin did not complete normally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
    #[error("the connector exceeded its time limit and was stopped")]
    Timeout,
    #[error("the connector exceeded its memory limit and was stopped")]
    MemoryLimit,
    #[error("the connector crashed: {0}")]
    Trap(String),
    #[error("the connector is at its limit of concurrent calls; retry shortly")]
    Busy,
    #[error("the connector could not be started: {0}")]
    Instantiate(String),
    #[error("the connector returned more than {0} bytes")]
    OutputTooLarge(usize),
    #[error("the connector returned output that is not valid JSON: {0}")]
    InvalidOutput(String),
    #[error("the gateway failed while running the connector")]
    Host,
}
